"""Exchange adapters behind the ExchangeGateway port: the in-process simulator and ccxt (Bybit first)."""
