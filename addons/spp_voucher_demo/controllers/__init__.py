from . import simulated_whatsapp
