"""Exercise lstm (Day 2) — REVERSE: write the Keras twin of a given Lightning LSTM regressor.

The Lightning twin you must match (``lit_models/sequence_regressor.py``, ``SequenceRNN``)::

    widths = [input_shape[-1], *units]                            # series_lstm: [1, 20, 20]
    self.recurrent = nn.ModuleList(                               # nn.LSTM(n_in, n_out, batch_first=True)
        keras_rnn(cell, n_in, n_out) for n_in, n_out in pairwise(widths))
    self.head = nn.Linear(widths[-1], output_units)
    apply_init_(self, init)          # lit_models/keras_compat/init.py: keras_recurrent_init_ for each LSTM

    def forward(self, x):            # x (batch, 50 steps, 1 feature)
        for rnn in self.recurrent[:-1]:
            x = rnn(x)[0]            # the whole output sequence (batch, steps, units)
        return self.head(self.recurrent[-1](x)[0][:, -1])        # the last step's output → Linear

    # recipe: Adam(learning_rate), MSE (CourseModule: lit_models/base.py)

Reading it for Keras: which Keras argument decides whether a recurrent layer returns the whole
sequence or the last step? torch's ``nn.LSTM`` has two biases per layer (``bias_ih`` and
``bias_hh``; ``keras_rnn`` holds the second at 0) — how many has Keras' ``LSTM``, and what does the
grader do with the difference? ``keras_recurrent_init_`` initialises like Keras does by default
(glorot kernels, orthogonal recurrent kernels, the forget gate's bias at 1): what must your Keras
layers set for that?

The grader checks the output shapes, the parameter counts layer by layer, the initial weights'
distributions, the outputs after copying your weights into the torch twin, one Adam step and two
epochs of training. Replace each ``raise NotImplementedError("TODO ...")`` by your code, then run
``exercise check lstm``.
"""

from __future__ import annotations

import keras

from keras_models.base import compile_course_model  # noqa: F401  - the course recipe: compile(optimizer, loss, metrics)

#: Config name of the recurrent cell → Keras layer.
CELLS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM}


def SequenceRNN(
    input_shape: list[int],
    cell: str = "lstm",
    units: list[int] = (20, 20),
    output_units: int = 1,
    output_activation: str = "linear",
    loss: str = "mse",
    metrics: list[str] = (),
    optimizer: str = "adam",
    learning_rate: float = 0.001,
) -> keras.Sequential:
    """Input(steps, features) → [SimpleRNN|LSTM](u₁, …) → … → [SimpleRNN|LSTM](u_k) → Dense(output_units).

    Shapes: (batch, steps, features) → (batch, output_units). Returns the **compiled** model.
    """
    raise NotImplementedError(
        "TODO 1 (SequenceRNN): model = keras.Sequential([keras.Input(shape=tuple(input_shape))]), then one "
        "CELLS[cell](width, ...) per units entry — every layer but the last hands the whole sequence on — "
        "then Dense(output_units, activation=output_activation)"
    )
    raise NotImplementedError(
        "TODO 2 (SequenceRNN): compile the model with the recipe "
        "(loss, metrics, optimizer by name, learning_rate) and return it"
    )
