-- aiops-report over Langfuse v3's ClickHouse tables: the traces as conversations, and the
-- scores twice, as feedback and as evaluations. schema.toml's `where` conditions pick the
-- scores of each part by name and source (examples/langfuse/README.md).
--
-- A conversation is a trace (the newest version of an updated one, unless deleted), with:
--   model              the model of its latest GENERATION that names one (by start_time, then id)
--   latency_ms         from the start of its first observation to the end of its last one,
--                      any type: the trace latency Langfuse shows (NULL: no observation)
--   prompt_tokens      the usage of its GENERATIONs under every key holding "input"
--   completion_tokens  ... and every key holding "output", as Langfuse adds them up
--                      (input_cached_tokens counts as input, NULL: no generation)
-- Traces and observations are read with FINAL (the newest version of each row, and a row
-- whose newest version is deleted is gone) and `is_deleted = 0`, whatever the session's settings.
CREATE OR REPLACE VIEW langfuse_conversations AS
SELECT
    t.id AS id,
    t.project_id AS project_id,
    t.timestamp AS created_at,
    any(t.environment) AS environment,
    any(t.name) AS name,
    any(t.release) AS release,
    any(t.user_id) AS user_id,
    any(t.session_id) AS session_id,
    any(t.input) AS user_message,
    any(t.output) AS ai_response,
    -- A trace without observations has one row here, its observation columns NULL.
    if(
        countIf(o.type = 'GENERATION' AND o.provided_model_name IS NOT NULL) = 0,
        NULL,
        argMaxIf(
            o.provided_model_name,
            (o.start_time, o.id),
            o.type = 'GENERATION' AND o.provided_model_name IS NOT NULL
        )
    ) AS model,
    if(
        count(o.id) = 0,
        NULL,
        date_diff(
            'millisecond',
            min(o.start_time),
            max(greatest(o.start_time, ifNull(o.end_time, o.start_time)))
        )
    ) AS latency_ms,
    if(
        countIf(o.type = 'GENERATION') = 0,
        NULL,
        sumIf(
            arraySum(mapValues(mapFilter((k, v) -> positionCaseInsensitive(k, 'input') > 0, o.usage_details))),
            o.type = 'GENERATION'
        )
    ) AS prompt_tokens,
    if(
        countIf(o.type = 'GENERATION') = 0,
        NULL,
        sumIf(
            arraySum(mapValues(mapFilter((k, v) -> positionCaseInsensitive(k, 'output') > 0, o.usage_details))),
            o.type = 'GENERATION'
        )
    ) AS completion_tokens
-- The traces are joined to their observations before aggregating, grouped by the trace's
-- time: the report's date range then reaches the traces (read by their sorting key), and
-- only the observations of those traces are aggregated.
FROM (SELECT * FROM observations FINAL WHERE is_deleted = 0) AS o
RIGHT JOIN (SELECT * FROM traces FINAL WHERE is_deleted = 0) AS t
    ON o.project_id = t.project_id AND o.trace_id = t.id
GROUP BY t.project_id, t.id, t.timestamp
-- Whatever the session says, the missing side of the join is NULL (not '' or 0) and the
-- aggregates are ClickHouse's own: the view's columns keep the types they were created with.
SETTINGS join_use_nulls = 1, aggregate_functions_null_for_empty = 0;

-- Scores, each read once (the newest version, not deleted). schema.toml's `where` picks the
-- user feedback score and the evaluator's score by name and source: the two views differ only
-- in the names of their columns.
CREATE OR REPLACE VIEW langfuse_feedback AS
SELECT
    id,
    project_id,
    environment,
    name,
    source,
    data_type,
    trace_id AS conversation_id,
    timestamp AS created_at,
    value AS feedback,
    comment
FROM scores FINAL
WHERE is_deleted = 0;

CREATE OR REPLACE VIEW langfuse_evaluations AS
SELECT
    id,
    project_id,
    environment,
    name AS evaluator,
    source,
    data_type,
    trace_id AS conversation_id,
    timestamp AS created_at,
    value AS score,
    comment AS reason
FROM scores FINAL
WHERE is_deleted = 0;
