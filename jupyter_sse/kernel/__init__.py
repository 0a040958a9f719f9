"""What runs in kernels and scripts: channels, the publisher, its transports, share
links and the notebook widget. Imports ``jupyter_sse.wire``, never the server."""
