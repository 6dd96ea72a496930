"""The autopilot's fronts: `mia run --autopilot`, `mia autopilot ...` over the control socket, voice and
chat commands, proposals read back and confirmed, announcements on the channels (issue #14 part 2).
The autopilot itself is `trading_core.autopilot`."""
