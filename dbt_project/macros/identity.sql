{#- Connected components by min-label propagation over a bipartite graph of records and
    match keys (an email, a phone, a shared id). One round: every match key takes the
    smallest label of its records, then every record the smallest label of its keys, so
    a round crosses one record-to-record hop. Renders CTEs `labels_0` .. `labels_<n>`
    from a CTE `edges` (record_key, match_key: any comparable type, fastest as integers);
    the caller reads `labels_<n>`. -#}
{% macro label_propagation_ctes(rounds) -%}
labels_0 as (
    select distinct
        record_key,
        record_key as component_label
    from edges
),
{% for i in range(1, rounds + 1) %}
key_labels_{{ i }} as (
    select
        edges.match_key,
        min(labels_{{ i - 1 }}.component_label) as component_label
    from edges
    inner join labels_{{ i - 1 }}
        on edges.record_key = labels_{{ i - 1 }}.record_key
    group by edges.match_key
),

labels_{{ i }} as (
    select
        edges.record_key,
        min(key_labels_{{ i }}.component_label) as component_label
    from edges
    inner join key_labels_{{ i }}
        on edges.match_key = key_labels_{{ i }}.match_key
    group by edges.record_key
){{ "," if not loop.last }}
{% endfor %}
{%- endmacro %}

{#- Hooks around the label propagation: its rounds keep some two dozen join and aggregate
    operators in flight in one query, and on DuckDB each of its threads reserves memory for
    every one of them. At 300,000 people that was more than the memory cap with two
    threads (out of memory at 1 GB and at 2 GB) and fits in 1 GB with one (16 s); so the
    query runs with one thread and the setting goes back afterwards. Other engines: no-op.
    (DuckDB's setting is the database's: a model dbt builds beside it also gets one
    thread for that time.) -#}
{% macro one_duckdb_thread(on) -%}
    {{ return(adapter.dispatch('one_duckdb_thread', 'lifecycle')(on)) }}
{%- endmacro %}

{% macro default__one_duckdb_thread(on) -%}
    select 1
{%- endmacro %}

{% macro duckdb__one_duckdb_thread(on) -%}
    {{ 'set threads = 1' if on else 'reset threads' }}
{%- endmacro %}
