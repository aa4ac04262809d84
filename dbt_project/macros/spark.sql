{#- Spark's side of what dbt-spark does not do the way the project needs. Only the
    spark adapter calls these (dbt resolves the project's spark__ macros before
    dbt-spark's own), so DuckDB and PostgreSQL never see them. -#}

{#- A type written in the project's YAML (seed column_types, the publish models'
    contracts) as Spark names it. Two names there are DuckDB's and PostgreSQL's
    but not Spark's: `varchar` without a length (Spark: `string`) and `double
    precision` (Spark: `double`); bigint, integer, boolean, date and decimal(p, s)
    are the same on all three. -#}
{% macro spark_type(type) -%}
    {%- set name = type | trim | lower -%}
    {%- if name == 'varchar' -%}
        {{ return(dbt.type_string()) }}
    {%- elif name == 'double precision' -%}
        {{ return(lifecycle.type_double()) }}
    {%- endif -%}
    {{ return(type) }}
{%- endmacro %}

{#- Contracts: dbt checks a model's columns against the declared data types by
    casting nulls to them (get_empty_schema_sql, through dbt.cast). -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ lifecycle.spark_type(type) }})
{%- endmacro %}

{#- Seeds: dbt-spark uses column_types as written, so its seed macros get them
    through spark_type. -#}
{% macro spark_seed_model(model) -%}
    {%- set types = {} -%}
    {%- for name, type in (model['config'].get('column_types') or {}).items() -%}
        {%- do types.update({name: lifecycle.spark_type(type)}) -%}
    {%- endfor -%}
    {{ return({'config': {
        'column_types': types,
        'quote_columns': model['config'].get('quote_columns', none),
    }}) }}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {{ return(dbt.spark__create_csv_table(
        lifecycle.spark_seed_model(model), agate_table)) }}
{%- endmacro %}

{#- dbt-spark's own loader binds an empty cell (None) as the text 'None' with the
    session method; this one writes each cell as a literal, an empty one as null
    (as DuckDB and PostgreSQL load it). -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set overrides = lifecycle.spark_seed_model(model)['config']['column_types'] -%}
    {%- set types = [] -%}
    {%- for name in agate_table.column_names -%}
        {%- do types.append(overrides.get(name)
            or adapter.convert_type(agate_table, loop.index0)) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {%- for row in chunk %}
            (
                {%- for value in row -%}
                    {%- if value is none -%}
                        cast(null as {{ types[loop.index0] }})
                    {%- else -%}
                        cast('{{ value | string | replace('\\', '\\\\')
                            | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                    {%- endif -%}
                    {{- ', ' if not loop.last -}}
                {%- endfor -%}
            ){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}

{#- Incremental `delete+insert` (int_customer_keys, int_customer_key_merges: replace
    the rows of the keys a run produced, keep every other row). dbt-spark knows
    append, insert_overwrite and merge (merge only on Delta, Iceberg or Hudi), so
    these two overrides of its own macros add delete+insert and hand every other
    strategy back to dbt-spark unchanged. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'delete+insert' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(
        raw_strategy, file_format)) }}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(
    strategy, source, target, existing, unique_key, incremental_predicates
) -%}
    {%- if strategy != 'delete+insert' -%}
        {{ return(dbt.dbt_spark_get_incremental_sql(
            strategy, source, target, existing, unique_key,
            incremental_predicates)) }}
    {%- endif -%}
    {{ return(lifecycle.spark_delete_insert_sql(source, target, existing, unique_key)) }}
{%- endmacro %}

{#- The new rows (`source`, the model's query as a temporary view, which may read
    the target itself) replace the target's rows with the same unique key.
    On Delta, Iceberg or Hudi: delete them, then insert (a DELETE per key set).
    On Parquet, which cannot delete, and on which Spark refuses to overwrite a
    table that the same query reads: the table's next content (its rows of other
    keys, then the new rows) is written to a staging table, the target is
    overwritten from it, and the statement that dbt records as the model's
    main one drops the staging table. -#}
{% macro spark_delete_insert_sql(source, target, existing, unique_key) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = adapter.get_columns_in_relation(target)
        | map(attribute='quoted') | join(', ') -%}
    {%- set same_key -%}
        {%- for key in keys -%}
            new_rows.{{ key }} = old_rows.{{ key }}
            {{- ' and ' if not loop.last }}
        {%- endfor -%}
    {%- endset -%}
    {%- if existing.is_delta or existing.is_iceberg or existing.is_hudi -%}
        {%- do run_query(
            'delete from ' ~ target ~ ' as old_rows where exists (select 1 from '
            ~ source ~ ' as new_rows where ' ~ same_key ~ ')') -%}
        insert into table {{ target }} select {{ columns }} from {{ source }}
    {%- else -%}
        {%- set staged = target.incorporate(
            path={'identifier': target.identifier ~ '__dbt_staged'}) -%}
        {%- do run_query('drop table if exists ' ~ staged) -%}
        {%- do run_query(
            'create table ' ~ staged ~ ' using parquet as'
            ~ ' select ' ~ columns ~ ' from ' ~ target ~ ' as old_rows'
            ~ ' where not exists (select 1 from ' ~ source ~ ' as new_rows'
            ~ ' where ' ~ same_key ~ ')'
            ~ ' union all select ' ~ columns ~ ' from ' ~ source) -%}
        {%- do run_query(
            'insert overwrite table ' ~ target
            ~ ' select ' ~ columns ~ ' from ' ~ staged) -%}
        drop table if exists {{ staged }}
    {%- endif -%}
{%- endmacro %}
