{#- None of `columns` holds a null: the not-null rule of a model's non-key columns in one
    test and one scan (keys keep their column-level `unique` and `not_null`). Returns a row
    per column that holds nulls, with how many; the failures are the null values.

    One test per model rather than one per column because dbt's own cost per test (about
    16 ms of Python per test, which a second thread does not spread) made the gate's 269
    column not_null tests 4.3 s of every night at 100,000 people (decision 36). -#}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc='coalesce(sum(null_values), 0)') }}

with

counts as (
    select
        count(*) as total_rows
        {%- for column in columns %},
        count({{ column }}) as present_{{ loop.index }}
        {%- endfor %}
    from {{ model }}
),

by_column as (
    {% for column in columns %}
    select
        '{{ column }}' as column_name,
        total_rows - present_{{ loop.index }} as null_values
    from counts
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    column_name,
    null_values
from by_column
where null_values > 0

{% endtest %}
