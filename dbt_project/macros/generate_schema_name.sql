{#- Layers and roles get the schema named in dbt_project.yml as-is (staging,
    marts, publish_marketing, ...), not dbt's default
    "<target schema>_<custom>". A role schema gets the suffix of var
    lifecycle__publish_schema_suffix: on PostgreSQL the runner passes
    `__next`, so dbt writes publish_<role>__next, the gate checks it, and
    publishing swaps it in as publish_<role> in one transaction
    (lifecycle.publish_pg); DuckDB publishes files and passes no suffix. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif (custom_schema_name | trim).startswith('publish_') -%}
        {{ custom_schema_name | trim }}
        {{- var('lifecycle__publish_schema_suffix', '') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
