"""The request path: authenticate -> authorize -> admit -> validate -> decide -> append -> fold."""
