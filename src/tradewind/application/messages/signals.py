"""Codecs of signal trading's published kinds: ``md.candle`` (closed candles) and ``signal.trade`` (signals)."""

from __future__ import annotations

from tradewind.application.messages.codec import Codec
from tradewind.domain.candles import Candle, candle_from_payload, candle_to_payload
from tradewind.domain.signals.signal import SIGNAL_KIND, Signal, signal_from_payload, signal_to_payload

CANDLE: Codec[Candle] = Codec("md.candle", candle_to_payload, candle_from_payload)
SIGNAL: Codec[Signal] = Codec(SIGNAL_KIND, signal_to_payload, signal_from_payload)
