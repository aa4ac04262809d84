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

{#- The raw table `source(source_name, table_name)` as an incremental model reads it:
    the whole table in a full build, and in an incremental run what the model's filter
    (is_reprocessed_raw_delivery) keeps, the deliveries from reprocess_from_text() on.
    On DuckDB the source is a read_parquet over a glob of every delivery's partition,
    and a filter on a column of the files still opens every file (one footer per
    delivery per table, about 6,600 at two years); so an incremental run lists the
    partition folders (delivery_date=D, lifecycle.extract.PARTITION) from that day on and reads only those files,
    with the source's own read_parquet options. The model keeps its filter: it is what
    defines the rows, the file list only spares the reads. -#}
{% macro raw_source(source_name, table_name) -%}
    {{ return(adapter.dispatch('raw_source', 'lifecycle')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__raw_source(source_name, table_name) -%}
    {{ return(source(source_name, table_name)) }}
{%- endmacro %}

{% macro duckdb__raw_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set reader = relation | string -%}
    {%- set pattern = reader.split("'")[1] if reader.startswith('read_parquet(') else none -%}
    {%- if pattern is none or "*" not in pattern -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set listing -%}
        select file from glob('{{ pattern }}')
        where regexp_extract(file, 'delivery_date=([^/]+)/', 1)
            >= '{{ lifecycle.reprocess_from_text() }}'
        order by file
    {%- endset -%}
    {%- set files = run_query(listing).columns[0].values() -%}
    {%- if files | length == 0 -%}
        {{ return('(select * from ' ~ reader ~ ' where false)') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append("'" ~ file.replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {{ return(reader.replace("'" ~ pattern ~ "'", '[' ~ quoted | join(', ') ~ ']', 1)) }}
{%- endmacro %}

