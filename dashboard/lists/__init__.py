"""The users table and the chat transcript, built in Python with every value escaped."""
