{#- Standardization rules shared by the staging models. -#}

{#- Email as an identity key: trimmed, lower-case, a `+tag` dropped from the
    local part; null unless it then matches
    ^[a-z0-9._%-]+@[a-z0-9.-]+\.[a-z]{2,}$. -#}
{% macro normalize_email(column) -%}
    {%- set cleaned = lifecycle.regex_replace_all(
        'lower(trim(' ~ column ~ '))', '\\+[^@]*@', '@') -%}
    case
        when {{ lifecycle.regex_full_match(
            cleaned, '[a-z0-9._%-]+@[a-z0-9.-]+\\.[a-z]{2,}') }}
            then {{ cleaned }}
    end
{%- endmacro %}

{#- Phone to E.164 (`+` then 8-15 digits), else null. Only digits are kept.
    International forms keep their own calling code: a leading `+` gives
    `+digits`, a leading `00` gives `+` and the rest. National forms need the
    record's country, given as the calling code and trunk prefix of the
    country_codes seed (the caller joins it): NANP (calling code 1) takes 10
    digits, or 11 led by 1; elsewhere a leading trunk prefix is dropped and the
    calling code put in front. With an unknown country national forms are
    null. -#}
{% macro normalize_phone(phone, calling_code, trunk_prefix) -%}
    {%- set digits = lifecycle.regex_replace_all(phone, '[^0-9]', '') -%}
    {%- set e164 -%}
    case
        when trim({{ phone }}) like '+%' then '+' || {{ digits }}
        when {{ digits }} like '00%' then '+' || substr({{ digits }}, 3)
        when {{ calling_code }} = '1' and length({{ digits }}) = 10
            then '+1' || {{ digits }}
        when {{ calling_code }} = '1' and length({{ digits }}) = 11
            and {{ digits }} like '1%'
            then '+' || {{ digits }}
        when {{ calling_code }} = '1' then null
        when {{ trunk_prefix }} <> ''
            and {{ digits }} like {{ trunk_prefix }} || '%'
            then '+' || {{ calling_code }}
                || substr({{ digits }}, length({{ trunk_prefix }}) + 1)
        else '+' || {{ calling_code }} || {{ digits }}
    end
    {%- endset -%}
    case
        when {{ lifecycle.regex_full_match(e164, '\\+[0-9]{8,15}') }}
            then {{ e164 }}
    end
{%- endmacro %}

{#- Rank of a record version, 1 = the one staging keeps: the latest by cursor,
    then the later delivery, then the later line of the file. -#}
{% macro latest_first(key, cursor, delivery='_delivery_date', line='_line') -%}
    row_number() over (
        partition by {{ key }}
        order by {{ cursor }} desc, {{ delivery }} desc, {{ line }} desc
    )
{%- endmacro %}

{#- Rows of the raw zone delivered up to the as-of date (raw `_delivery_date`
    is YYYY-MM-DD text, so text order is date order and filters push down). -#}
{% macro delivered_by_as_of() -%}
    _delivery_date <= '{{ lifecycle.as_of_date_text() }}'
{%- endmacro %}

{#- Join condition for the currency_rates seed: the rate of the amount's currency for the
    month of the given timestamp. The one home of "which rate applies". -#}
{% macro rate_for_month(rates, currency, at) -%}
    {{ currency }} = {{ rates }}.currency
    and cast({{ dbt.date_trunc('month', at) }} as date) = {{ rates }}.rate_month
{%- endmacro %}
