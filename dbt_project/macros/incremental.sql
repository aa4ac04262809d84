{#- The incremental models' shared shapes. Two kinds, both ending where a full refresh
    would (lifecycle.incremental in the plugins decides reprocess_from_text()):
    - delivery-day models (base_app__events, base_orders__*_versions,
      int_app_user_event_days, stg_raw__*) hold rows by delivery day and replace every
      delivery from reprocess_from_text() on;
    - latest-version models (stg_orders__orders, stg_orders__line_items,
      stg_orders__refunds) hold one row per
      record, the latest version delivered by the as-of date, and recompute the records
      that those re-read deliveries touch. -#}

{#- The config of a delivery-day model: appended by delivery day, its re-read deliveries
    dropped first by a pre-hook, partitioned by delivery day where tables are folders
    (Spark). -#}
{% macro delivery_day_incremental() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': "{{ lifecycle.delete_reprocessed_deliveries() }}",
        'partition_by': lifecycle.delivery_partitioning(),
    }) }}
{%- endmacro %}

{#- The rows of a delivery-day model's input that an incremental run reads: the
    deliveries from reprocess_from_text() on (`column` a date). -#}
{% macro is_reprocessed_delivery(column='delivery_date') -%}
    {{ column }} >= cast('{{ lifecycle.reprocess_from_text() }}' as date)
{%- endmacro %}

{#- The same of a raw table, whose `_delivery_date` is YYYY-MM-DD text (compared as
    text, so that the filter reaches the Parquet reader). -#}
{% macro is_reprocessed_raw_delivery() -%}
    _delivery_date >= '{{ lifecycle.reprocess_from_text() }}'
{%- endmacro %}

{#- Pre-hook of the delivery-day incremental models: drop the deliveries this run re-reads
    (from reprocess_from_text() on) so they are replaced, not duplicated. -#}
{% macro delete_reprocessed_deliveries() -%}
    {{ return(adapter.dispatch('delete_reprocessed_deliveries', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__delete_reprocessed_deliveries() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ lifecycle.is_reprocessed_delivery() }}
    {%- endif -%}
{%- endmacro %}

{#- Spark's Parquet tables have no DELETE; these models are partitioned by delivery day
    there (delivery_partitioning), so the re-read deliveries are dropped as partitions.
    Tables of a format with DELETE (Delta, Iceberg, Hudi: a cluster's choice of
    +file_format) delete as everywhere else. -#}
{% macro spark__delete_reprocessed_deliveries() -%}
    {%- set existing = load_relation(this) if is_incremental() else none -%}
    {%- if existing is not none
        and (existing.is_delta or existing.is_iceberg or existing.is_hudi) -%}
        {{ lifecycle.default__delete_reprocessed_deliveries() }}
    {%- elif is_incremental() -%}
        {%- set start = lifecycle.reprocess_from_text() -%}
        {%- set days = [] -%}
        {%- for row in run_query('show partitions ' ~ this) -%}
            {%- set day = (row[0] | string).split('=', 1)[1] -%}
            {%- if day >= start -%}{%- do days.append(day) -%}{%- endif -%}
        {%- endfor -%}
        {%- if days -%}
            alter table {{ this }} drop if exists
            {%- for day in days %}
                partition (delivery_date = '{{ day }}'){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The partitioning of the delivery-day incremental models (their `partition_by`):
    none where a model is a table in a database (DuckDB, PostgreSQL); by delivery day
    where it is a folder of files (Spark), so a re-read delivery replaces a partition. -#}
{% macro delivery_partitioning() -%}
    {{ return(adapter.dispatch('delivery_partitioning', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__delivery_partitioning() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__delivery_partitioning() -%}
    {{ return('delivery_date') }}
{%- endmacro %}

{#- The config of a latest-version model of `key` over the delivery-day model `versions`:
    before the run, its pre-hook deletes the records that the re-read deliveries touch,
    and the model then computes every record the table does not hold
    (missing_records_only). Spark's Parquet tables have no DELETE: there the model is a
    table, rebuilt whole each night. -#}
{% macro latest_version_incremental(key, versions) -%}
    {{ return({
        'materialized': lifecycle.latest_version_materialization(),
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': "{{ lifecycle.delete_touched_records('" ~ key ~ "', ref('"
            ~ versions ~ "')) }}",
    }) }}
{%- endmacro %}

{% macro latest_version_materialization() -%}
    {{ return(adapter.dispatch('latest_version_materialization', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__latest_version_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__latest_version_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{#- Pre-hook of a latest-version model: delete the records with a version in a re-read
    delivery, and those whose kept row was delivered, or first delivered, in one (a
    corrected re-delivery may have dropped that version). -#}
{% macro delete_touched_records(key, versions) -%}
    {%- if is_incremental() -%}
        {{- lifecycle.require_kept_columns(['delivered_on', 'first_delivered_on']) }}
        delete from {{ this }}
        where {{ key }} in (
            select {{ key }} from {{ versions }}
            where {{ lifecycle.is_reprocessed_delivery() }}
        )
            or {{ lifecycle.is_reprocessed_delivery('delivered_on') }}
            or {{ lifecycle.is_reprocessed_delivery('first_delivered_on') }}
    {%- endif -%}
{%- endmacro %}

{#- Filter of a latest-version model's versions (aliased `alias`): in an incremental run,
    only the records the table does not hold (those the pre-hook deleted, and any never
    built), so a run ends where a full refresh would. -#}
{% macro missing_records_only(key, alias) -%}
    {%- if is_incremental() -%}
        and not exists (
            select 1 from {{ this }} as kept
            where kept.{{ key }} = {{ alias }}.{{ key }}
        )
    {%- endif -%}
{%- endmacro %}

{#- Stop an incremental run whose kept table an earlier version of the project built without
    `columns` (a release that changed the model), naming the table and the fix, before a
    statement fails on a missing column. -#}
{% macro require_kept_columns(columns) -%}
    {%- set kept = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- set missing = columns | reject('in', kept) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            this.schema ~ "." ~ this.identifier ~ " was built by an earlier version of this"
            ~ " project, without " ~ (missing | join(", ")) ~ ": run this day once with a full"
            ~ " refresh (lifecycle run --as-of D --full-refresh, the DAG's full_refresh param,"
            ~ " or dbt's --full-refresh), which gives the same tables") }}
    {%- endif -%}
{%- endmacro %}
