"""The server's own channels, under ``jupyter/`` where only the server publishes:
``system`` (this machine and its kernels, sampled while watched), ``activity`` (kernel
lifecycle and long-cell notices) and ``events/<name>`` (jupyter_server's event bus).
``ServerChannels`` (``service``) puts them together; ``settings`` holds their settings.
"""
