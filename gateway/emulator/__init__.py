"""A local server that speaks the Backblaze B2 native API, durable on disk.

It shares no code with the gateway's B2 client on purpose: if both were built on one
understanding of B2, the emulator would agree with the client's bugs.

Map: ``server`` starts it (``start_emulator``, ``run_from_cli``); ``app`` routes every request
through one funnel (counters, injected faults, errors, headers); ``api_*`` hold the calls;
``views`` shapes their JSON per API version; ``rules`` and ``lock`` are B2's rules as pure
functions; ``store`` = ``metadata`` (SQLite on its own thread) + ``blobs`` (fsynced files);
``auth`` holds keys and tokens; ``faults`` the /_emulator control surface's state.
"""
