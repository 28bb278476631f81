"""What the numbers mean: metrics, their statistics, insights, themes of the texts."""
