"""The pool in the generated data: one customer in fifty (never the focus customer) returned to its
department's pool at some point in the last two months."""
from datetime import timedelta

from sqlalchemy import text


def build_pool(builder) -> None:
    now = builder.now
    rows = [{"id": customer_id, "at": now - timedelta(hours=(customer_id * 7919) % (60 * 24))}
            for customer_id in range(50, builder.shape.customers + 1, 50) if customer_id != builder.focus_id]
    builder.session.execute(text("UPDATE customers SET pool_since = :at WHERE id = :id"), rows)
