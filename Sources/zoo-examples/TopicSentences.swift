/// A small labelled text set for the BERT example: three topics, twenty sentences each, written
/// for zoo. The last six of each topic are held out for testing; many avoid the obvious keyword.
enum TopicSentences {
    static let topics = ["sports", "cooking", "computing"]

    static let sentences: [[String]] = [
        [
            "The striker scored twice in the second half.",
            "Our team won the championship after extra time.",
            "She ran the marathon in under three hours.",
            "The referee showed him a red card for the tackle.",
            "He serves faster than anyone else on the tour.",
            "The goalkeeper dived to his left and saved the penalty.",
            "They trained every morning before the season opener.",
            "The coach changed tactics at half time.",
            "Fans filled the stadium long before kick-off.",
            "She broke the national record in the hundred metres.",
            "The cyclists climbed the mountain stage in heavy rain.",
            "He was transferred to a club in Madrid last summer.",
            "The home side equalised in the final minute.",
            "Our relay team dropped the baton on the last leg.",
            "The boxer defended his title for the third time.",
            "After the injury he spent months recovering before playing again.",
            "The swimmers dived in as soon as the whistle blew.",
            "She hit a six over the boundary to win the match.",
            "The league table changed after the weekend's results.",
            "They lost on penalties after a goalless draw.",
        ],
        [
            "Whisk the eggs with sugar until the mixture is pale.",
            "Simmer the sauce gently for twenty minutes.",
            "Add a pinch of salt to bring out the sweetness.",
            "Knead the dough until it is smooth and elastic.",
            "Roast the vegetables in a hot oven until golden.",
            "The soup needs more pepper and a squeeze of lemon.",
            "Chop the onions finely and fry them in butter.",
            "Let the bread rise in a warm place for an hour.",
            "She marinated the chicken overnight in yoghurt and spices.",
            "Fold the flour in carefully so the batter stays light.",
            "The risotto should be creamy but not sticky.",
            "Grate some parmesan over the pasta before serving.",
            "Bring the water to a boil before adding the rice.",
            "Caramelise the sugar without stirring it.",
            "The cake was still moist the next day.",
            "He seasoned the steak and seared it in a hot pan.",
            "Blend the tomatoes with garlic and olive oil.",
            "Leave the pastry to rest in the fridge before rolling it out.",
            "A splash of vinegar lifts the flavour of the stew.",
            "Sprinkle fresh herbs over the dish just before it goes to the table.",
        ],
        [
            "The compiler reported a type error on line twelve.",
            "Restart the server after installing the update.",
            "The program crashed because of a null pointer.",
            "She wrote a script to back up the database every night.",
            "The new processor has eight cores and a large cache.",
            "Run the unit tests before you merge the branch.",
            "The laptop overheats when the fan is blocked.",
            "He rewrote the slow loop to use vector instructions.",
            "The website went down when traffic spiked.",
            "Memory usage grew until the process was killed.",
            "They migrated the service to a cluster of containers.",
            "The network packet was dropped by the firewall.",
            "Sort the array before searching it with binary search.",
            "The operating system schedules threads on every core.",
            "Encrypt the file with the public key before sending it.",
            "Nobody could reproduce the bug on their own machine.",
            "The query got faster once the table had an index.",
            "She debugged the kernel module late into the night.",
            "The download stalled at ninety percent.",
            "Commit your changes and push them to the repository.",
        ],
    ]

    /// Training sentences per topic; the rest are the test set.
    static let trainingPerTopic = 14

    /// (texts, labels) of the training or the test split.
    static func split(training: Bool) -> (texts: [String], labels: [Int]) {
        var texts: [String] = []
        var labels: [Int] = []
        for (label, list) in sentences.enumerated() {
            let part = training ? list.prefix(trainingPerTopic) : list.dropFirst(trainingPerTopic)
            texts += part
            labels += Array(repeating: label, count: part.count)
        }
        return (texts, labels)
    }

    /// Sentences of no split, to show the trained classifier at work.
    static let unseen = [
        "The midfielder curled a free kick into the top corner.",
        "Stir in the cream and let it reduce by half.",
        "The hard drive failed and we restored everything from backups.",
    ]
}
