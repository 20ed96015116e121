from . import test_g2p_connect
