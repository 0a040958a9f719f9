"""Brokers: where events are stored and from where they fan out."""

from .base import Broker, BrokerUnavailable, ChannelInfo, Health, Subscriber
from .memory import MemoryBroker

__all__ = [
    "Broker",
    "BrokerUnavailable",
    "ChannelInfo",
    "Health",
    "MemoryBroker",
    "Subscriber",
]
