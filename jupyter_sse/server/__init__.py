"""What runs in the Jupyter server: the extension app and its routes, handlers, tokens,
validation, open streams and the brokers. Imports ``jupyter_sse.wire``, never the
kernel side."""
