"""The engine guard: a Docker Engine API proxy that keeps what the user had before a lesson.

`server.EngineGuard` runs it; `policy` says what it refuses; `proxy` relays the API; `address`
says which engines it can stand in front of; `leftovers` removes the sockets of dead labs.
(Nothing is imported here, so the light modules load without the relay's HTTP machinery.)
"""
