from . import spp_payment_donor_report
