"""``twins bench``: each way of training (Lightning, Keras, a bare torch loop) in its own
process (``worker``), side by side on the same data (``runner``)."""
