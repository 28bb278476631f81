"""Reading the chatbot's tables: settings, database, schema mapping, periods, per-day totals."""
