print("zoo-examples: placeholder")
