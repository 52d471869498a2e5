"""A local server that speaks the Backblaze B2 native API, durable on disk.

It shares no code with the gateway's B2 client on purpose: if both were built on one
understanding of B2, the emulator would agree with the client's bugs.
"""
