-- aiops-report over Langfuse v3's ClickHouse tables: one view, the traces as conversations.
-- Feedback and evaluations are read from Langfuse's `scores` table as it is, chosen by the
-- `where` conditions of schema.toml (the score names live there).
--
-- A conversation is a trace (the newest version of an updated one, unless deleted), with:
--   model              the model of its latest GENERATION that names one (by start_time, then id)
--   latency_ms         from the start of its first observation to the end of its last one,
--                      any type: the trace latency Langfuse shows (NULL: no observation)
--   prompt_tokens      the usage of its GENERATIONs under every key holding "input"
--   completion_tokens  ... and every key holding "output", as Langfuse adds them up
--                      (input_cached_tokens counts as input, NULL: no generation)
-- Traces and observations are read with FINAL (the newest version of each row; a row whose
-- newest version is deleted is gone) and `is_deleted = 0`, whatever the session's settings.
CREATE OR REPLACE VIEW langfuse_conversations AS
SELECT
    t.id AS id,
    t.project_id AS project_id,
    t.environment AS environment,
    t.name AS name,
    t.release AS release,
    t.timestamp AS created_at,
    t.user_id AS user_id,
    t.session_id AS session_id,
    t.input AS user_message,
    t.output AS ai_response,
    g.model AS model,
    g.latency_ms AS latency_ms,
    g.prompt_tokens AS prompt_tokens,
    g.completion_tokens AS completion_tokens
FROM traces AS t FINAL
LEFT JOIN
(
    SELECT
        project_id,
        trace_id,
        -- Nullable, so that a trace without observations reads NULL, not '' or 0, with
        -- or without join_use_nulls.
        toNullable(date_diff(
            'millisecond', min(start_time), max(greatest(start_time, ifNull(end_time, start_time)))
        )) AS latency_ms,
        if(
            countIf(type = 'GENERATION' AND provided_model_name IS NOT NULL) = 0,
            NULL,
            argMaxIf(
                provided_model_name,
                (start_time, id),
                type = 'GENERATION' AND provided_model_name IS NOT NULL
            )
        ) AS model,
        if(
            countIf(type = 'GENERATION') = 0,
            NULL,
            sumIf(
                arraySum(mapValues(mapFilter((k, v) -> positionCaseInsensitive(k, 'input') > 0, usage_details))),
                type = 'GENERATION'
            )
        ) AS prompt_tokens,
        if(
            countIf(type = 'GENERATION') = 0,
            NULL,
            sumIf(
                arraySum(mapValues(mapFilter((k, v) -> positionCaseInsensitive(k, 'output') > 0, usage_details))),
                type = 'GENERATION'
            )
        ) AS completion_tokens
    FROM observations FINAL
    WHERE is_deleted = 0
    GROUP BY project_id, trace_id
) AS g ON g.project_id = t.project_id AND g.trace_id = t.id
WHERE t.is_deleted = 0;

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
