"""The WhatsApp channel (Cloud API over our own httpx client): webhook security and payload, rendering, sending."""
