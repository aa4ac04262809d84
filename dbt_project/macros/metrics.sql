{#- Helpers of the metrics marts (models/marts/metrics); the median is
    lifecycle.median in portable.sql. -#}

{#- Quintile score 1-5 of a value among all rows (5 = the highest fifth),
    tie-aware: rows with equal values get the same score, the score of the
    first position they hold, floor(5 * (rank - 1) / rows) + 1. Unlike
    ntile(5), which deals equal values into different quintiles by an
    arbitrary tie-break, two customers with the same value always score the
    same; a heavily tied value (one order) can leave some scores empty. -#}
{% macro quintile_score(order_by) -%}
    cast(floor(
        5 * cast(rank() over (order by {{ order_by }}) - 1
            as {{ lifecycle.type_double() }})
        / count(*) over ()
    ) as integer) + 1
{%- endmacro %}

{#- The RFM segment of a score triple: a `case` over the rules of the var
    lifecycle__rfm_segments (config/lifecycle.yml `rfm_segments`, validated by
    lifecycle.config), first match wins. Rules reach SQL only as whole numbers
    1-5 and snake_case names, checked again here. Parsing without vars gets a
    placeholder; executing without them fails. -#}
{% macro rfm_segment_case(r_score, f_score, m_score) -%}
    {%- set segments = var('lifecycle__rfm_segments', none) -%}
    {%- if segments is none or segments | length == 0 -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "var lifecycle__rfm_segments is required (config/"
                ~ "lifecycle.yml rfm_segments): run dbt through"
                ~ " `lifecycle dbt --as-of D --`") }}
        {%- endif -%}
        {{- return('cast(null as ' ~ dbt.type_string() ~ ')') -}}
    {%- endif -%}
    case
    {%- for segment in segments %}
        {%- set name = segment['name'] | string %}
        {%- if not modules.re.fullmatch('[a-z][a-z0-9_]*', name) %}
            {{ exceptions.raise_compiler_error(
                "lifecycle__rfm_segments: segment name '" ~ name
                ~ "' is not lower-case snake_case") }}
        {%- endif %}
        {%- set conditions = [] %}
        {%- for letter, score in [('r', r_score), ('f', f_score),
                                  ('m', m_score)] %}
            {%- set bounds = segment.get(letter, [1, 5]) %}
            {%- if bounds | length != 2
                or not (bounds[0] | string).isdigit()
                or not (bounds[1] | string).isdigit() %}
                {{ exceptions.raise_compiler_error(
                    "lifecycle__rfm_segments: segment '" ~ name ~ "' has "
                    ~ letter ~ " = " ~ bounds ~ ", expected [min, max]") }}
            {%- endif %}
            {%- do conditions.append(score ~ ' between ' ~ (bounds[0] | int)
                ~ ' and ' ~ (bounds[1] | int)) %}
        {%- endfor %}
        when {{ conditions | join(' and ') }} then '{{ name }}'
    {%- endfor %}
    end
{%- endmacro %}
