{#- No two rows share the same values in all of `columns` (a composite key).

    `changed_since`: on a delivery-day incremental model, its delivery-day column. When the
    gate passes lifecycle__tested_from (tested_from_text), the rows delivered before that
    day are those a build whose tests all passed left as they are, so only the keys of
    the rows delivered since are checked, against every row of the table (an old row can
    share its key with a new one). That is a semi-join of the few new keys instead of a
    group-by of the whole history: 0.78 s became 0.22 s for the 9.6 million events of
    100,000 people over two years, queried alone. -#}
{% test unique_combination(model, columns, changed_since=none) %}
{%- set since = lifecycle.tested_from_text() if changed_since else none %}

with

{% if since and changed_since in columns -%}
{#- Rows that share a key share their delivery day: the new rows are all to group. #}
tested as (
    select {{ columns | join(', ') }}
    from {{ model }}
    where {{ changed_since }} >= cast('{{ since }}' as date)
),
{%- elif since -%}
changed_keys as (
    select distinct {{ columns | join(', ') }}
    from {{ model }}
    where {{ changed_since }} >= cast('{{ since }}' as date)
),

tested as (
    select {{ columns | join(', ') }}
    from {{ model }} as kept
    where exists (
        select 1 from changed_keys
        where
            {%- for column in columns %}
            {{ 'and ' if not loop.first }}changed_keys.{{ column }} is not distinct from kept.{{ column }}
            {%- endfor %}
    )
),
{%- else -%}
tested as (
    select {{ columns | join(', ') }}
    from {{ model }}
),
{%- endif %}

keyed as (
    select
        {{ columns | join(', ') }},
        count(*) as row_count
    from tested
    group by {{ columns | join(', ') }}
)

select * from keyed
where row_count > 1

{% endtest %}
