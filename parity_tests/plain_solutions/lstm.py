"""lstm (reverse) as a Keras user writes it: a Sequential of LSTM layers, compiled in place."""

import keras


def SequenceRNN(
    input_shape,
    cell="lstm",
    units=(20, 20),
    output_units=1,
    output_activation="linear",
    loss="mse",
    metrics=(),
    optimizer="adam",
    learning_rate=0.001,
):
    recurrent = {"lstm": keras.layers.LSTM, "simple_rnn": keras.layers.SimpleRNN}[cell]
    model = keras.Sequential([keras.Input(shape=tuple(input_shape))])
    for index, width in enumerate(units):
        model.add(recurrent(width, return_sequences=index < len(units) - 1))
    model.add(keras.layers.Dense(output_units, activation=output_activation))
    model.compile(
        optimizer=keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate}}),
        loss=loss,
        metrics=list(metrics),
    )
    return model
