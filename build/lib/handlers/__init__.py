"""What happens when a person acts, independent of the chat platform."""
