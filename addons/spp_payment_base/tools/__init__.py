from odoo.addons.spp_approval.tools import (
    guarded_write,
    is_guarded_write,
    refuse_fields,
    refuse_records,
)

from .actions import reopen_wizard
from .fields import (
    DerivedMany2one,
    GuardedMany2one,
    SparseMany2one,
    keys_checked_by_statement,
)
from .locks import take_row, worker_name
from .schema import (
    bulk_work_mem,
    drop_stale_indexes,
    id_array,
    planner_settings,
    refresh_statistics,
    required_column_defaults,
    set_fillfactor,
)
from .sql_copy import (
    COPY_NULL,
    copy_bool,
    copy_column,
    copy_into,
    copy_repeated_values,
    copy_rows,
    copy_stream,
    copy_text,
    copy_values,
)
from .fx import (
    exchange_difference_sql,
    fsp_issued_sql,
    fx_round_sql,
    program_rounding_sql,
    to_program_sql,
)
