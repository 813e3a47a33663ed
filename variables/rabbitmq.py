"""RabbitMQ as orderflow's message transport: `--variablefile variables/rabbitmq.py`.

orderflow relays its outbox to a topic exchange and its services consume from durable queues;
the messaging suites then capture from that exchange instead of reading the outbox table.
The broker address can be overridden with SEAMLINE_RABBITMQ_URL (as the tests do).
"""

import os
import uuid

# The broker orderflow uses, and the suites' own connection to it (its password is masked in every log).
BROKER_URL = os.environ.get("SEAMLINE_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
# A namespace (exchange and queue prefix) of its own per run, so that runs sharing one broker never
# consume each other's messages. orderflow is started with `--broker-namespace ${BROKER_NAMESPACE}`.
BROKER_NAMESPACE = f"orderflow-{uuid.uuid4().hex[:8]}"

MESSAGE_TRANSPORT = "amqp"
