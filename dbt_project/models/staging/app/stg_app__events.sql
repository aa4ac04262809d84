{#- The app events delivered by the as-of date (base_app__events holds every delivery). -#}
{{ config(materialized='view') }}
select * from {{ ref('base_app__events') }}
where delivery_date <= {{ lifecycle.as_of_date() }}
