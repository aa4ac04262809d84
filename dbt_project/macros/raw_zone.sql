{#- Where the dbt sources of the raw zone (schemas raw_<source>, raw_quarantine)
    find it, per engine: DuckDB reads the Parquet files itself (the sources'
    meta.external_location); on PostgreSQL lifecycle.raw_load copies the changed
    partitions into tables before dbt runs; Spark reads the files in place through
    external tables, which register_raw_zone() declares in its metastore (run by
    lifecycle.build before each build: `dbt run-operation register_raw_zone`). -#}
{% macro register_raw_zone() -%}
    {{ return(adapter.dispatch('register_raw_zone', 'lifecycle')()) }}
{%- endmacro %}

{% macro default__register_raw_zone() -%}
    {{ exceptions.raise_compiler_error(
        "register_raw_zone is for engines that read the raw zone's files through"
        ~ " tables of their own (Spark); DuckDB reads them directly and PostgreSQL"
        ~ " gets a copy (lifecycle.raw_load)") }}
{%- endmacro %}

{#- One unmanaged Parquet table per raw source table over its folder
    LIFECYCLE_HOME/raw/<meta.raw_folder>: every data.parquet below it, whatever
    the delivery day (recursiveFileLookup: the delivery_date=D folder names are
    not read as a column, as DuckDB's hive_partitioning = false; hidden files
    such as _extract.json and .tmp names are never read). Re-declared on every
    call, so a changed column set is picked up; dropping such a table never
    touches the files. -#}
{% macro spark__register_raw_zone() -%}
    {%- set raw = env_var('LIFECYCLE_HOME') ~ '/raw' -%}
    {%- set schemas = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- set folder = node.source_meta.get('raw_folder')
            or node.meta.get('raw_folder') -%}
        {%- if folder -%}
            {%- set path = raw ~ '/' ~ folder.replace('{name}', node.name) -%}
            {%- if node.schema not in schemas -%}
                {%- do run_query('create schema if not exists ' ~ node.schema) -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
            {%- set table = node.schema ~ '.' ~ node.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ ' using parquet options ('
                ~ "path '" ~ path ~ "', recursiveFileLookup 'true',"
                ~ " pathGlobFilter 'data.parquet')") -%}
            {%- do log('raw zone: ' ~ table ~ ' -> ' ~ path, info=true) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
