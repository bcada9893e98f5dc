//! The small demo database of the embedded cluster, so every block has something real to show.

/// Tables and rows for the demo database; run once, inside one transaction.
pub(super) const DEMO_SQL: &[&str] = &[
    "CREATE TABLE customers (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        email text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
    )",
    "CREATE TABLE orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        customer_id bigint NOT NULL REFERENCES customers(id),
        total_cents integer NOT NULL CHECK (total_cents >= 0),
        placed_at timestamptz NOT NULL
    )",
    "CREATE TABLE page_views (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        path text NOT NULL,
        viewed_at timestamptz NOT NULL
    )",
    "CREATE INDEX orders_customer_idx ON orders (customer_id)",
    "INSERT INTO customers (name, email)
        SELECT 'Customer ' || g, 'customer' || g || '@example.com' FROM generate_series(1, 200) g",
    "INSERT INTO orders (customer_id, total_cents, placed_at)
        SELECT 1 + (g % 200), (g * 137) % 50000, now() - make_interval(hours => g)
        FROM generate_series(1, 2000) g",
    "INSERT INTO page_views (path, viewed_at)
        SELECT '/products/' || (g % 50), now() - make_interval(mins => g)
        FROM generate_series(1, 5000) g",
];
