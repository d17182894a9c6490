"""Writes datamodules/data/sales_demo.csv: a generated daily-sales table for the CSV exercise.

Shaped like the course's (non-redistributable) CSV: date, weekday number, weekday name,
holiday flag, school-holiday flag, sales (thousands of euros). Seeded, so the file is reproducible:
    python scripts/make_sales_demo.py
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "datamodules" / "data" / "sales_demo.csv"


def sales_demo(seed: int = 0, days: int = 730) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    weekday = dates.day_of_week.to_numpy()
    holiday = rng.random(days) < 0.03
    school_holiday = np.isin(dates.month.to_numpy(), [7, 8]) | (rng.random(days) < 0.05)
    # busy Fridays/Saturdays, closed-ish Sundays
    weekday_effect = np.array([0, 5, 10, 15, 40, 80, -150])[weekday]
    # in thousands of euros: targets of order 1 keep the course's plain SGD(5e-4) stable
    sales = (300 + weekday_effect - 120 * holiday + 35 * school_holiday + rng.normal(0, 15, days)) / 100
    return pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "weekday": weekday,
            "weekday_name": dates.day_name(),
            "holiday": holiday,
            "school_holiday": school_holiday,
            "sales": sales.round(4),
        }
    )


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    sales_demo().to_csv(OUT, index=False)
    print(f"wrote {OUT}")
