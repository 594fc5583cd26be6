"""DuckDB anchor for the engine benchmark (Benchmarks/TrailmarkBench/EngineBench.swift).

Usage: funnel_bench.py DIR USER_ID W2 W3 W4 FROM TO

Reads DIR/events.csv and DIR/identifies.csv (written by the Swift benchmark), then times
the same questions the engine answers, with SEMANTICS.md's query-time identity stitching
(SEMANTICS §3) done inside every timed query, as the engine does:
  funnel     4-step funnel with per-step windows (§4, units = stitched users)
  funnel_ft  the same broken down by first touch (source/medium of the unit's earliest event)
  uniques    distinct units per UTC day
  user       per-user lookup: first touch and pre-login event count
  funnel_prestitched  the funnel over a table whose stitched unit was materialised
             beforehand (untimed): DuckDB's best case, for an honest second anchor
Prints one JSON object: answers plus the best of 3 wall-clock timings per query.
"""
import json
import sys
import time

import duckdb

STEPS = ["$pageview", "view_item", "add_to_cart", "purchase"]


def stitched_cte(frm, to):
    # user of an event: its user_id, else the earliest identify of its anonymous id at or
    # after it, else the latest before it (SEMANTICS §3). Identify timestamps are distinct
    # per anonymous id in the generated data, so ASOF's choice among ties never matters.
    return f"""
    ev_r AS (SELECT * FROM events WHERE ts >= {frm} AND ts < {to}),
    nxt AS (SELECT e.seq, i.user_id AS u FROM ev_r e ASOF JOIN identifies i
            ON e.anon = i.anon AND i.ts >= e.ts WHERE e.user_id IS NULL),
    prv AS (SELECT e.seq, i.user_id AS u FROM ev_r e ASOF JOIN identifies i
            ON e.anon = i.anon AND i.ts < e.ts WHERE e.user_id IS NULL),
    s AS (SELECT e.*, COALESCE(e.user_id, nxt.u, prv.u) AS su,
                 COALESCE('user:' || COALESCE(e.user_id, nxt.u, prv.u), 'anon:' || e.anon) AS unit
          FROM ev_r e LEFT JOIN nxt ON nxt.seq = e.seq LEFT JOIN prv ON prv.seq = e.seq)
    """


def funnel_sql(frm, to, w, breakdown, source=None):
    ft = ""
    ft_join = ""
    key = "'all'"
    if breakdown:
        ft = ", ft AS (SELECT unit, first(source || '/' || medium ORDER BY ts, seq) AS k FROM s GROUP BY unit)"
        ft_join = "JOIN ft USING (unit)"
        key = "k"
    base = stitched_cte(frm, to) if source is None else f"s AS (SELECT * FROM {source} WHERE ts >= {frm} AND ts < {to})"
    return f"""
    WITH {base} {ft},
    s1 AS (SELECT unit, min(ts) AS t1 FROM s WHERE event = '{STEPS[0]}' GROUP BY unit),
    s2 AS (SELECT s1.unit, s1.t1, min(e.ts) AS t2 FROM s1 JOIN s e ON e.unit = s1.unit
           AND e.event = '{STEPS[1]}' AND e.ts >= s1.t1 AND e.ts - s1.t1 <= {w[0]} GROUP BY s1.unit, s1.t1),
    s3 AS (SELECT s2.unit, s2.t1, min(e.ts) AS t3 FROM s2 JOIN s e ON e.unit = s2.unit
           AND e.event = '{STEPS[2]}' AND e.ts >= s2.t2 AND e.ts - s2.t2 <= {w[1]} GROUP BY s2.unit, s2.t1, s2.t2),
    s4 AS (SELECT s3.unit, s3.t1, min(e.ts) AS t4 FROM s3 JOIN s e ON e.unit = s3.unit
           AND e.event = '{STEPS[3]}' AND e.ts >= s3.t3 AND e.ts - s3.t3 <= {w[2]} GROUP BY s3.unit, s3.t1, s3.t3),
    allk AS (SELECT {key} AS k, 1 AS step, unit, NULL::BIGINT AS d FROM s1 {ft_join}
             UNION ALL SELECT {key}, 2, unit, NULL FROM s2 {ft_join}
             UNION ALL SELECT {key}, 3, unit, NULL FROM s3 {ft_join}
             UNION ALL SELECT {key}, 4, unit, t4 - t1 FROM s4 {ft_join})
    SELECT k, step, count(*), avg(d) FROM allk GROUP BY k, step ORDER BY k, step
    """


def uniques_sql(frm, to):
    return f"""
    WITH {stitched_cte(frm, to)}
    SELECT (ts // 86400000000) * 86400000000 AS day, count(DISTINCT unit) FROM s GROUP BY day ORDER BY day
    """


def user_sql(user):
    # The user's events: its own user_id rows and the rows of anonymous ids it identified.
    return f"""
    WITH anons AS (SELECT DISTINCT anon FROM identifies WHERE user_id = '{user}'),
    cand AS (SELECT * FROM events WHERE user_id = '{user}' OR anon IN (SELECT anon FROM anons)),
    nxt AS (SELECT e.seq, i.user_id AS u FROM cand e ASOF JOIN identifies i
            ON e.anon = i.anon AND i.ts >= e.ts WHERE e.user_id IS NULL),
    prv AS (SELECT e.seq, i.user_id AS u FROM cand e ASOF JOIN identifies i
            ON e.anon = i.anon AND i.ts < e.ts WHERE e.user_id IS NULL),
    mine AS (SELECT e.* FROM cand e LEFT JOIN nxt ON nxt.seq = e.seq LEFT JOIN prv ON prv.seq = e.seq
             WHERE COALESCE(e.user_id, nxt.u, prv.u) = '{user}'),
    fi AS (SELECT ts, seq FROM identifies WHERE user_id = '{user}' ORDER BY ts, seq LIMIT 1)
    SELECT (SELECT event || '|' || ts || '|' || source || '|' || medium FROM mine ORDER BY ts, seq LIMIT 1),
           (SELECT count(*) FROM mine, fi WHERE mine.user_id IS NULL AND (mine.ts < fi.ts OR (mine.ts = fi.ts AND mine.seq < fi.seq)))
    """


CPU = {}


def timed(con, sql, runs=3):
    """Best wall time of `runs` runs; the best run's process CPU time (all DuckDB threads)
    goes to CPU[sql]."""
    best = None
    rows = None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        rows = con.execute(sql).fetchall()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        if best is None or dt < best:
            best = dt
            CPU[sql] = dc
    return rows, best


def main():
    d, user, w2, w3, w4, frm, to = sys.argv[1:8]
    con = duckdb.connect()
    t0 = time.perf_counter()
    con.execute(f"""CREATE TABLE events AS SELECT * FROM read_csv('{d}/events.csv', header=true,
        columns={{'ts':'BIGINT','seq':'UBIGINT','event':'VARCHAR','anon':'VARCHAR','user_id':'VARCHAR',
                  'session_id':'VARCHAR','source':'VARCHAR','medium':'VARCHAR'}})""")
    con.execute(f"""CREATE TABLE identifies AS SELECT * FROM read_csv('{d}/identifies.csv', header=true,
        columns={{'anon':'VARCHAR','user_id':'VARCHAR','ts':'BIGINT','seq':'UBIGINT'}})""")
    load = time.perf_counter() - t0
    w = [int(w2), int(w3), int(w4)]
    out = {"load_s": load, "threads": con.execute("SELECT current_setting('threads')").fetchone()[0]}
    q = funnel_sql(frm, to, w, False)
    rows, t = timed(con, q)
    out["funnel"] = {"seconds": t, "cpu": CPU[q], "reached": [r[2] for r in rows], "mean_us": rows[-1][3] if len(rows) == 4 else None}
    q = funnel_sql(frm, to, w, True)
    rows, t = timed(con, q)
    groups = {}
    for k, step, n, _ in rows:
        groups.setdefault(k, [0, 0, 0, 0])[step - 1] = n
    out["funnel_ft"] = {"seconds": t, "cpu": CPU[q], "groups": groups}
    q = uniques_sql(frm, to)
    rows, t = timed(con, q)
    out["uniques"] = {"seconds": t, "cpu": CPU[q], "rows": [[r[0], r[1]] for r in rows]}
    q = user_sql(user)
    rows, t = timed(con, q)
    out["user"] = {"seconds": t, "cpu": CPU[q], "first_touch": rows[0][0], "prelogin": rows[0][1]}
    con.execute(f"CREATE TABLE prestitched AS WITH {stitched_cte(-(1 << 62), 1 << 62)} SELECT * FROM s")
    q = funnel_sql(frm, to, w, False, source="prestitched")
    rows, t = timed(con, q)
    out["funnel_prestitched"] = {"seconds": t, "cpu": CPU[q], "reached": [r[2] for r in rows]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
