#!/usr/bin/env bash
# The GPU check, one command (issue 13): parity checks b–e of a few models and `twins bench`
# with --accelerator gpu, TF32 off in both frameworks and TF memory growth on; prints one table.
# Under 10 minutes on one GPU (test profile sizes, 20 measured steps per epoch).
#
#   scripts/gpu_check.sh [OUT_DIR]        # default OUT_DIR: runs/gpu_check
#
# Run it from the repository root with the project's virtual environment active. Without a
# visible GPU it stops at once with one line and exit status 2.
set -euo pipefail

OUT="${1:-runs/gpu_check}"
MODELS="${GPU_CHECK_MODELS:-mnist_cnn,fashion_autoencoder,imdb_bilstm,jena_lstm,cats_dogs_transfer}"
PYTHON="${PYTHON:-python}"

gpu_name="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1 || true)"
if [[ -z "$gpu_name" ]]; then
    echo "gpu_check: error: no GPU visible (nvidia-smi lists none); run it on a machine with an NVIDIA GPU" >&2
    exit 2
fi
if ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "gpu_check: error: nvidia-smi sees $gpu_name but torch.cuda.is_available() is False; install a CUDA build of torch" >&2
    exit 2
fi

mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export TWINS_CONFIG_PROFILE=test   # the test profile's sizes: the whole check stays under 10 minutes
export KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3
# TF32 off in both frameworks, in every process (the bench's workers too): cuBLAS and cuDNN read
# NVIDIA_TF32_OVERRIDE; the plugin below also sets each framework's own switch in the test process.
export NVIDIA_TF32_OVERRIDE=0
export TF_FORCE_GPU_ALLOW_GROWTH=true   # TF memory growth: torch and TensorFlow share the GPU

cat > "$OUT/gpu_settings.py" <<'PY'
"""pytest plugin of scripts/gpu_check.sh: TF32 off in torch and TensorFlow, TF memory growth on."""
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

import tensorflow as tf  # noqa: E402  - after torch, always

for gpu in tf.config.list_physical_devices("GPU"):
    tf.config.experimental.set_memory_growth(gpu, True)
tf.config.experimental.enable_tensor_float32_execution(False)
PY

selected="${MODELS//,/ or }"   # pytest -k: a test whose id names one of the models
status=0
PYTHONPATH="$OUT:$PYTHONPATH" timeout 360 "$PYTHON" -m pytest -q -p no:cacheprovider -p gpu_settings \
    parity_tests/test_parity.py -k "(test_b_ or test_c_ or test_d_ or test_e_) and ($selected)" \
    --junitxml "$OUT/parity.xml" >"$OUT/parity.log" 2>&1 || status=1

timeout 200 "$PYTHON" -m twins.cli bench --models "$MODELS" --accelerator gpu --offline --steps 20 --epochs 2 \
    --json "$OUT/bench.json" --quiet >"$OUT/bench.log" 2>&1 || status=1

"$PYTHON" - "$OUT" "$gpu_name" <<'PY'
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

out, gpu = Path(sys.argv[1]), sys.argv[2]
checks = {}
if (out / "parity.xml").exists():
    for case in ET.parse(out / "parity.xml").iter("testcase"):
        name = case.get("name")
        model, check = name[name.index("[") + 1 : -1].split("-")[0], name.split("_")[1]
        failed = case.find("failure") is not None or case.find("error") is not None
        marks = checks.setdefault(model, {})  # check e has two tests: one failure marks it
        marks[check] = "FAIL" if failed or marks.get(check) == "FAIL" else "ok"
bench = json.loads((out / "bench.json").read_text())["models"] if (out / "bench.json").exists() else {}
print(f"GPU check on {gpu} (TF32 off, TF memory growth on; test profile)")
print(f"{'model':22}{'b':>5}{'c':>5}{'d':>5}{'e':>5}{'lightning s/ep':>16}{'keras s/ep':>12}{'torch s/ep':>12}")
for model in sorted(set(checks) | set(bench)):
    marks = [checks.get(model, {}).get(c, "-") for c in "bcde"]
    record = bench.get(model, {})
    speeds = [
        f"{record[w]['seconds_per_epoch']:.4f}" if w in record else record.get("error", "-")[:10]
        for w in ("lightning", "keras", "torch")
    ]
    print(f"{model:22}" + "".join(f"{m:>5}" for m in marks) + f"{speeds[0]:>16}{speeds[1]:>12}{speeds[2]:>12}")
print(f"logs: {out}/parity.log, {out}/bench.log")
PY
exit "$status"
