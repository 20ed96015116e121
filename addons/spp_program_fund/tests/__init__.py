from . import test_program_fund
