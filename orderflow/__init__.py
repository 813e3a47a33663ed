"""orderflow: the reference platform Seamline tests by default (the system under test).

``python -m orderflow up --help`` starts everything; each service also runs alone as
``python -m orderflow.<service> --help``:

- ``gateway``   the only public entry (API keys, roles, rate and size limits, error envelope,
                correlation ids, traceparent, Server-Timing, ``/openapi.json``)
- ``orders``    orders in SQL; publishes order.created / order.cancelled via the outbox
- ``inventory`` stock and reservations; answers with stock.reserved / stock.rejected
- ``bus``       delivers outbox rows to consumers over HTTP, or relays them to RabbitMQ
- ``reports``   daily figures, consistency check, and the settlement exporter to the ledger
- ``ledger``    the legacy SSH/SFTP settlement system (``orderflow.ledger``)

Each prints ``READY {json}`` when it listens. The SQL schema is in :mod:`orderflow.db`, the
message contract in :mod:`orderflow.messaging`. orderflow never imports Seamline.
"""
