"""Start-up shared by the services that consume messages (orders, inventory).

Each takes --db, --broker, --broker-namespace and --port, receives its messages through
POST /messages or, with --broker, from its RabbitMQ queue, and serves until stopped.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import Engine
from starlette.routing import BaseRoute

from orderflow import amqp, serving
from orderflow.config import Flags
from orderflow.messaging import Consumer, Handler


def consumer_service_flags(service: str, description: str) -> Flags:
    """The flags every consuming service takes; a service adds its own after these."""
    flags = Flags(f"python -m orderflow.{service}", description)
    flags.add("--db", required=True, help="database URL (sqlite:///..., postgresql://, mysql://)")
    flags.add("--broker", help="amqp:// URL: consume from RabbitMQ instead of POST /messages")
    flags.add("--broker-namespace", default=amqp.DEFAULT_NAMESPACE, help="exchange / queue prefix")
    flags.add("--port", type=int, default=0, help="listening port (0: any free port)")
    return flags


def serve_consumer(
    service: str,
    args: argparse.Namespace,
    engine: Engine,
    handlers: Mapping[str, Handler],
    routes: Callable[[Consumer], Sequence[BaseRoute]],
) -> None:
    """Consume `handlers`' message types (from RabbitMQ with --broker) and serve `routes` until stopped."""
    consumer = Consumer(engine, service, dict(handlers))
    lifespan = amqp.consuming(args.broker, args.broker_namespace, consumer)
    serving.run(serving.service_app(routes(consumer), lifespan), service, args.port)
