"""orderflow's ledger: a legacy settlement system behind SSH/SFTP (a paramiko server).

Run it with ``python -m orderflow.ledger --root DIR``; talk to it with
:class:`orderflow.ledger.client.LedgerClient`. The batch file layout is in
:mod:`orderflow.ledger.batch`, the exec commands in :mod:`orderflow.ledger.commands`.

Acknowledgement files ``outbox/<batch_id>.ack`` are UTF-8 JSON objects::

    {"batch_id": "B1", "status": "posted", "records": 2, "total": "12.50",
     "totals_by_currency": {"EUR": "12.50"}, "order_ids": ["o-1", "o-2"],
     "posted_at": "2024-05-01T10:00:00+00:00"}

Amounts are decimal strings with two decimals. Rejected batches move to ``errors/`` next to
``errors/<batch_id>.err`` (text: ``batch <id> rejected`` then ``line <n>: <reason>``; line 0
means the whole file). ``ledger post`` and ``ledger balance`` print one JSON line.

Exec commands (split like a shell with shlex; no pipes, ``;`` or redirection):
``ledger post <inbox file or batch_id>``, ``ledger balance``, ``echo``, ``cat FILE...``,
``ls [DIR]``, ``sleep N`` (ends when the client closes the channel) and ``ps`` (the commands
running right now, one per line). Unknown commands exit 127. An interactive shell (prompt
``ledger$ ``) runs the same commands for clients that log in through one, such as SSHLibrary.

Clients see only inbox/, outbox/, errors/ and archive/; the host key and ledger.db (sqlite3
postings) stay private.
"""
