"""Monitoring (监测、统计): the makerspace's figures for any period, as charts."""
