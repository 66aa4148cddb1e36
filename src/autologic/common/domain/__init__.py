"""Pure shared value types: errors, clocks and calendars. No Django import."""
