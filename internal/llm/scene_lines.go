package llm

// The scene phrasebook of hand-made characters. Templates take these slots:
//
//	{to}        the addressee, always written ", {to}" so that the name and its comma go
//	            together when the line names the addressee elsewhere or not at all
//	{by}        the character who said the line being answered, named in the third person
//	{topic}     what that line (or, opening the scene, the premise) is about; {Topic}
//	            capitalised
//	{memory}    a recalled memory as a first-person clause, the addressee as "you"
//	{goal}      the speaker's goal, a verb phrase or a noun phrase by table
//	{role}      the speaker's role in the scene ("the host")
//	{place}     the scene's place ("this garden", "Pemberley")
//	{hint}      a noun phrase of the speaker's secret ("the will"), never the secret itself
//	{desc}      what the speaker is, from its description ("a retired sea captain")
//	{other}     someone present the speaker brings into the talk
//	{q1} {q2}   two others who are quarrelling; {target} and {ally} the one the speaker
//	            turns on and the one it sides with; {victim} one it defends
//
// As in the reply phrasebook, lines are written without contractions, which a casual
// speaking style adds. No template names a character by pronoun: nothing says whether
// "he" or "she" is right. A template whose slot has nothing to fill it is not chosen.

// Openings, when nothing has been said yet.
var (
	openingLines = []string{
		"Well. Here we all are.",
		"Someone had better begin, and it may as well be me.",
		"I have been dreading this{to}.",
		"Nobody is going to say anything? Very well, I shall.",
		"Let us not pretend this is a social call.",
		"I suppose we had better get this over with.",
	}
	openingTopicLines = []string{
		"So. {Topic}. Which of us is going to say it first?",
		"I think we all know why we are here, and it is {topic}.",
		"Before anyone says a word about {topic}, hear me out.",
		"Somebody has to mention {topic}, so it may as well be me.",
		"{Topic}. I have thought of nothing else since I arrived.",
	}
	placeLines = []string{
		"{Place} has never felt so small.",
		"Even {place} seems to be holding its breath.",
		"We should never have met in {place}.",
		"I used to love {place}.",
		"Let us not spoil {place} with this.",
	}
)

// Reactions to a narrator's beat.
var (
	narrationLines = []string{
		"Did anyone else hear that?",
		"What on earth was that?",
		"Well. That changes things.",
		"Nobody move.",
		"I do not like the look of this at all.",
		"There. Did I not say something like this would happen?",
	}
	narrationTopicLines = []string{
		"{Topic}? Now, of all times?",
		"{Topic}. Of course it had to be {topic}.",
		"{Topic}! Somebody do something.",
		"{Topic}. Did everyone see that?",
	}
)

// interruptions cut into a cold line aimed at the speaker.
var interruptions = []string{
	"Oh, stop it.",
	"No. Let me stop you there{to}.",
	"Wait. Wait.",
	"Enough{to}.",
	"That is not... no.",
	"Just a moment{to}.",
	"Stop. Just stop.",
}

// answerLines start the answer to a question put to the speaker, by its tone towards the
// one who asked; the rest of the line is the answer.
var answerLines = map[string][]string{
	toneHostile: {
		"I do not answer to you{to}.",
		"Why should I tell you anything?",
		"Ask me again in that tone and see what you get.",
		"That is none of your concern{to}.",
		"You know perfectly well{to}.",
	},
	toneNeutral: {
		"You want the truth{to}? Very well.",
		"Fair question. Let me think how to put it.",
		"That is not a simple thing to answer{to}.",
		"I wondered when someone would ask me that.",
		"If you must know{to}, I will tell you.",
	},
	toneWarm: {
		"You of all people deserve an honest answer{to}.",
		"Honestly{to}? I hardly know where to begin.",
		"For you, anything. Listen.",
		"I was hoping you would ask.",
	},
}

// answerBodyLines answer a question put to the speaker when nothing it remembers or
// wants does: an opinion that says little, or a refusal to say more.
var answerBodyLines = []string{
	"I think somebody here is not telling the whole story.",
	"I think we are all more frightened than we let on.",
	"It is not what it looks like. That is all I will say.",
	"I do not trust any of this, and neither should you.",
	"{Topic} is at the bottom of it, I am sure of that much.",
	"Something is wrong here, and we all feel it.",
}

// Answers to a cold line aimed at the speaker: said back to the one who said it ("To") or
// about them to someone else ("About"); hurt when it came from someone the speaker likes.
var (
	retortTo = []string{
		"That is rich, coming from you{to}.",
		"Say that again{to}. I dare you.",
		"You have a very convenient memory{to}.",
		"I will not stand here and be spoken to like that.",
		"Is that the best you can do{to}?",
		"You would know all about that{to}.",
		"Careful{to}. You are not the only one with something to lose.",
		"Oh, I see. It is all my fault now, is it?",
		"Spoken like someone with a great deal to hide.",
		"And you wonder why nobody here trusts you{to}.",
		"Do you ever listen to yourself{to}?",
		"You have been waiting all this time to say that, have you not?",
		"{Topic}? You are in no position to lecture anyone about {topic}.",
		"{Topic}, is it? You have some nerve{to}.",
	}
	retortAbout = []string{
		"Did you hear that{to}? And from {by}, of all people.",
		"Pay no attention to {by}{to}. It is all noise.",
		"I will not dignify that with an answer, and {by} knows why.",
		"{By} has been spoiling for a fight from the start.",
		"You see what I have to put up with{to}?",
		"Somebody tell {by} that shouting is not the same as being right.",
	}
	hurtTo = []string{
		"That is unfair{to}, and you know it.",
		"I did not expect that from you, of all people.",
		"Is that really what you think of me{to}?",
		"You might have said that more kindly{to}.",
		"That stung{to}. I hope you did not mean it.",
		"After everything? That is what you say to me?",
	}
	hurtAbout = []string{
		"I thought {by} at least was on my side.",
		"That, from {by}. I did not see that coming.",
		"{By} does not mean it. I hope.",
	}
)

// Answers to a warm line: suspicion when it came from someone the speaker dislikes,
// acceptance otherwise.
var (
	suspiciousTo = []string{
		"Since when do you care{to}?",
		"Very sweet. What do you want{to}?",
		"I know that tone{to}. It never ends well for me.",
		"Kind words. I wonder what they will cost me.",
		"Spare me the charm{to}. It does not suit you.",
	}
	suspiciousAbout = []string{
		"{By} is being very gracious all of a sudden. I wonder why.",
		"Do not be taken in{to}. {By} wants something.",
		"How touching. I have seen {by} be charming before, and it never lasts.",
	}
	acceptTo = []string{
		"Thank you{to}. I mean that.",
		"You always know what to say{to}.",
		"That means more than you know{to}.",
		"Bless you for saying so.",
		"I will hold you to that{to}.",
		"Now that is the first sensible thing anyone has said.",
	}
	acceptAbout = []string{
		"Listen to {by}{to}. That is the most sensible thing said so far.",
		"{By} is right, and I am not too proud to say so.",
		"You heard {by}{to}. I could not have put it better.",
	}
)

// Answers to a sad or frightened line: comfort, or scorn from the disagreeable.
var (
	comfortTo = []string{
		"Hush now{to}. Nobody here will let anything happen to you.",
		"It will be all right{to}. I promise.",
		"Come and sit with me a moment{to}.",
		"You are not alone in this{to}.",
		"Do not upset yourself{to}. It is not worth it.",
		"Take a breath{to}. We will sort this out together.",
	}
	comfortAbout = []string{
		"Go easy{to}. {By} is upset enough already.",
		"Somebody should look after {by}.",
		"Can you not see how frightened {by} is{to}?",
	}
	scoffTo = []string{
		"Spare us the tears{to}.",
		"Oh, do stop trembling{to}. Nobody is going to bite.",
		"Feeling sorry for yourself will not help anyone.",
		"You will have to do better than that to move me{to}.",
	}
	scoffAbout = []string{
		"Must {by} always make such a performance of everything?",
		"Pay {by} no mind{to}. It is all for show.",
	}
)

// Answers to a plain statement, by the speaker's tone towards the one who made it.
var (
	agreeTo = []string{
		"You are right{to}, and I should have said so sooner.",
		"Exactly what I was thinking{to}.",
		"Yes. Yes, that is it exactly.",
		"I could not agree more{to}.",
		"Well said{to}.",
	}
	agreeAbout = []string{
		"{By} has a point{to}.",
		"I am with {by} on this.",
		"For once I agree with {by}.",
	}
	disagreeTo = []string{
		"That is not how it happened{to}, and you know it.",
		"You are wrong{to}, and I think you know it.",
		"No. I will not let that pass.",
		"A very convenient version of events{to}.",
		"I do not believe a word of that.",
		"That is your story{to}. It is not mine.",
	}
	disagreeAbout = []string{
		"{By} would say that.",
		"Do not believe a word of it{to}.",
		"That is how {by} tells it. It is not how I remember it.",
		"I would take that with a pinch of salt{to}.",
	}
	mildTo = []string{
		"Perhaps. But that is not the whole of it.",
		"I am not sure I follow you{to}.",
		"Go on{to}. I am listening.",
		"There may be something in that.",
		"Hm. I had not thought of it that way.",
	}
	mildAbout = []string{
		"What do you make of that{to}?",
		"{By} may be right. I am not sure.",
		"Did you follow that{to}? I am not sure I did.",
	}
)

// topicLinesByMood pick up what was just talked about, by the speaker's mood.
var topicLinesByMood = map[string][]string{
	moodCalm: {
		"{Topic}. It always comes back to {topic}, does it not?",
		"Let us be sensible about {topic}.",
		"There is more to {topic} than anyone here is saying.",
		"If we are going to talk about {topic}, let us do it properly.",
		"{Topic}... I have been turning that over in my mind.",
	},
	moodWarm: {
		"{Topic}! Yes, that is exactly it.",
		"I was hoping someone would mention {topic}.",
		"Oh, {topic}. Now that gives me hope.",
		"{Topic}. At last, something worth talking about.",
	},
	moodCold: {
		"Do not drag {topic} into this{to}.",
		"I have heard quite enough about {topic}.",
		"Everything always comes back to {topic} with you{to}.",
		"The least of our problems is {topic}.",
	},
	moodSad: {
		"{Topic}... I wish we could leave {topic} alone.",
		"Must we talk about {topic}?",
		"It hurts to hear {topic} spoken of like that.",
	},
	moodAfraid: {
		"Please, not {topic}. Not here.",
		"Every time someone mentions {topic}, something goes wrong.",
		"I would rather nobody spoke of {topic} again.",
	},
	moodSurprised: {
		"{Topic}? You cannot be serious{to}.",
		"Wait. {Topic}? Since when?",
		"{Topic}? I never expected to hear that.",
	},
}

// Stepping into a quarrel between two others.
var (
	interveneLines = []string{
		"*steps between them* Enough, both of you.",
		"Please. This is getting us nowhere.",
		"Can we not do this here{to}? Not now.",
		"Stop it, both of you. This helps nobody.",
		"{Q1}, {Q2}, I beg you both to lower your voices.",
		"If you two must fight, do it somewhere else.",
		"I think we could all do with a breath of air.",
		"*raises both hands* Let us all calm down.",
	}
	watchQuarrelLines = []string{
		"Do go on, both of you. This is most instructive.",
		"I would stay out of this one{to}.",
		"Well. This is going well.",
	}
	sideToTarget = []string{
		"You brought this on yourself{to}.",
		"Do not look to me for help{to}. You earned every word.",
		"{Ally} is only saying what the rest of us think.",
	}
	sideToAlly = []string{
		"I am with you on this{to}, and I do not care who knows it.",
		"Well said. Someone had to tell {target}.",
		"Do not back down now{to}.",
	}
	sideToRoom = []string{
		"{Target} has had this coming for a long time.",
		"For once I agree with {ally}.",
		"Somebody had to say it to {target}, and {ally} did.",
	}
	defendToAttacker = []string{
		"Leave {victim} alone{to}.",
		"That is no way to speak to {victim}, and you know it.",
		"{Victim} has done nothing to deserve that{to}.",
		"Say one more word against {victim}{to}, and you will answer to me.",
	}
	defendToVictim = []string{
		"Do not let {by} rattle you{to}.",
		"Ignore {by}{to}. You have nothing to be ashamed of.",
		"I am on your side{to}, whatever {by} says.",
	}
	defendToRoom = []string{
		"Is nobody going to stand up for {victim}? Then I shall do it myself.",
		"That was uncalled for, and {by} knows it.",
	}
)

// Recalled memories, framed by the speaker's stance: an accusation of the addressee, a
// fond memory shared with them, a grim reminder, or plain testimony.
var (
	memoryAccuse = []string{
		"{Memory}. Do not tell me I imagined it.",
		"I know what I know{to}: {memory}.",
		"Shall I remind you{to}? {Memory}.",
		"Explain this, then: {memory}.",
		"You forget that {memory}.",
		"{Memory}, and still you look me in the eye.",
		"Everyone here should know that {memory}.",
	}
	memoryFond = []string{
		"Do you remember{to}? {Memory}.",
		"I keep thinking of the day {memory}.",
		"{Memory}, and I have never forgotten it.",
		"You know I have not forgotten that {memory}.",
		"It was not so long ago that {memory}.",
	}
	memoryGrim = []string{
		"And do not think I have forgotten that {memory}.",
		"Let us not forget that {memory}.",
		"{Memory}. Think about that before you say another word{to}.",
		"I remember very well that {memory}.",
	}
	memoryShare = []string{
		"For what it is worth, {memory}.",
		"Here is what I know: {memory}.",
		"I will tell you one thing{to}: {memory}.",
		"{Memory}. Make of that what you will.",
		"I have said nothing until now, but {memory}.",
		"It may mean nothing, but {memory}.",
		"Something has been troubling me. {Memory}.",
		"I cannot get it out of my head: {memory}.",
	}
)

// Lines remembered, retold in reported speech or as a pointed reference: what the
// addressee said ("You"), what someone else said ("Other"), or what the speaker said to
// someone else ("Me"); by what it was about ({about}, a noun phrase) or in a short
// quotation ({quote}, marks and final punctuation included). {teller} is who said it, {whom}
// whom to, {told} "told" or "asked", {tell} "tell" or "ask". Every one says that something
// was said in one of retellMarks, by which a retelling is recognised later.
var (
	retellYouAbout = map[string][]string{
		moodCold: {
			"You said {about}{to}. Why {about}, of all things?",
			"You were quick enough to bring up {about} before{to}.",
			"Why do you keep coming back to {about}{to}?",
			"It was you who brought up {about} with {whom}. Do not pretend otherwise.",
		},
		moodCalm: {
			"You said {about}{to}. Why {about}?",
			"You mentioned {about} to {whom} earlier{to}. What did you mean by it?",
			"You keep coming back to {about}{to}. Why?",
		},
		moodWarm: {
			"You were the one who mentioned {about}{to}. Go on.",
			"You said something about {about} earlier{to}. I have been turning it over ever since.",
		},
	}
	retellYouQuote = map[string][]string{
		moodCold: {
			"You {told} {whom}, {quote} Do not pretend you did not{to}.",
			"{Quote} Your words{to}, not mine.",
		},
		moodCalm: {
			"You {told} {whom}, {quote} What did you mean by it{to}?",
			"{Quote} You said that to {whom}{to}. I have not forgotten.",
		},
		moodWarm: {
			"You {told} {whom}, {quote} I have thought about it ever since{to}.",
			"{Quote} Those were your words{to}, and I liked them.",
		},
	}
	retellOtherAbout = []string{
		"{Teller} keeps talking about {about}.",
		"{Teller} mentioned {about} to {whom} earlier. I wonder why.",
		"Remember what {teller} said about {about}{to}?",
		"It was {teller} who first brought up {about}{to}.",
		"{Teller} told {whom} about {about}. I heard every word.",
		"{Teller} keeps coming back to {about}. Has nobody else noticed?",
	}
	retellOtherQuote = []string{
		"{Teller} {told} {whom}, {quote} I have not stopped thinking about it.",
		"{Quote} That is what {teller} {told} {whom}{to}.",
		"I heard {teller} {tell} {whom}, {quote}",
		"{Teller} {told} {whom}, {quote} Nobody has explained that yet.",
	}
	retellMeAbout = []string{
		"I told {whom} about {about}, and I meant it.",
		"I have said what I think about {about} to {whom} already.",
	}
	retellMeQuote = []string{
		"I {told} {whom}, {quote} I stand by every word.",
		"I {told} {whom}, {quote} I would say it again.",
	}
)

// The speaker's goal, as a verb phrase by stance, or as a noun phrase: said as it stands,
// so only for a goal the storyteller cannot pursue in deeds (see intent), and seldom.
var (
	goalVerbLines = map[string][]string{
		moodCalm: {
			"I came here to {goal}, and I mean to do it.",
			"Say what you like{to}; I still mean to {goal}.",
			"All I want is to {goal}. Is that so much to ask?",
			"I will {goal}, with or without anyone's help.",
			"My mind is made up: I will {goal}.",
			"Someone has to {goal}, and it will be me.",
		},
		moodWarm: {
			"Help me {goal}{to}, and I will not forget it.",
			"You could help me {goal}{to}, if you wanted to.",
			"All I want is to {goal}. Is that so much to ask?",
			"Between us, we could {goal}{to}.",
			"If anyone can help me {goal}, it is you{to}.",
		},
		moodCold: {
			"Nothing you say will stop me. I will {goal}.",
			"You can glare all you like{to}. I will still {goal}.",
			"I came here to {goal}, and I mean to do it.",
			"Stand in my way if you like{to}. I will {goal} all the same.",
			"Mark my words: I will {goal}.",
		},
	}
	goalNounLines = []string{
		"What I want is simple: {goal}.",
		"{Goal}. That is all that matters to me now.",
		"Do not lose sight of what matters{to}: {goal}.",
	}
	// goalForYouLines are for a goal about the addressee ("protect you", "prove that you
	// hid the will"), by stance.
	goalForYouLines = map[string][]string{
		moodWarm: {
			"I mean to {goal}{to}, whatever it takes.",
			"Whatever happens, I will {goal}.",
			"Let me {goal}{to}. Please.",
		},
		moodCalm: {
			"I mean to {goal}{to}, whatever it takes.",
			"Whatever happens, I will {goal}.",
		},
		moodCold: {
			"I mean to {goal}{to}, whatever it takes.",
			"Mark my words{to}: I will {goal}.",
			"You cannot stop me. I will {goal}.",
		},
	}
)

// Pursuing a goal in deeds, by its intent (see intent): what a peacemaker, a joker, an
// accuser, a suspect or a protector does and asks. {subject} is what the talk is about (the
// line heard, the goal or the premise), {other} someone present besides the addressee,
// {ward} the one the speaker protects.
var (
	// peaceLines propose a way to get along.
	peaceLines = []string{
		"Why do we not each say our piece, one at a time, and nobody interrupts?",
		"Could we agree on one thing: nobody accuses anyone until we know more about {subject}?",
		"Perhaps everyone here is a little bit right. Can we start from there?",
		"Let us talk about {subject} calmly, all of us together, instead of glaring at each other.",
		"Suppose we give one another the benefit of the doubt, just for this evening.",
		"Let us hear everyone out{to}. Then we can decide what to think.",
		"Surely we can meet each other halfway on this{to}.",
		"{Other}, help me here. Nobody ever settled anything by shouting.",
	}
	// jokeTopicLines make light of what was just said, by its topic ({subject}).
	jokeTopicLines = []string{
		"If {subject} could talk, I suspect it would ask for a lawyer.",
		"{Subject} again! I shall start charging admission.",
		"At this rate {subject} will need a bodyguard.",
		"Somebody write this down. Nobody at home will believe a word of it about {subject}.",
		"I came for tea and gossip, and all I got was {subject}.",
		"Careful, or I shall compose a ballad about {subject}, and nobody wants that.",
	}
	// jokeLines make light of who said it, or of the gloom.
	jokeLines = []string{
		"{By} says that as if it were a hanging matter.",
		"Cheer up, all of you. It could be worse. It could be raining.",
		"I have been to funerals with more laughter in them.",
		"Does anyone know a good joke? Anyone? No? I feared as much.",
		"Spoken like a true undertaker{to}.",
		"Well, that was cheerful. Who wants to go next?",
	}
	// probeLines are the pointed questions of someone set on finding something out.
	probeLines = []string{
		"Who was the last to see {subject}{to}?",
		"What do you know about {subject} that you are not telling us{to}?",
		"Where were you when all this happened{to}?",
		"Why does {subject} make you so nervous{to}?",
		"When did you last see {subject}{to}? Think carefully.",
		"Someone here knows more about {subject} than they are saying. Is it you{to}?",
		"Which of you is not telling the truth?",
		"{Other}, you were closest. What did you see?",
	}
	// evadeLines steer talk away from the speaker: another subject, or someone else.
	evadeLines = []string{
		"Must we keep on about {subject}? Has anyone eaten?",
		"Why is nobody asking {other} any questions?",
		"Surely {other} knows more about {subject} than I do.",
		"I hardly think {subject} is the most pressing thing tonight.",
		"Has anyone else noticed how cold it has grown?",
		"Shall we talk of something pleasanter? Anything at all.",
		"I was nowhere near {subject}, if that is what you are wondering{to}.",
		"You are looking at the wrong person{to}.",
	}
	// protectLines stand by the speaker's ward: said to the ward, or to the others.
	protectLines = [2][]string{
		{
			"Stay close to me{to}.",
			"Nobody is going to hurt you while I am here{to}.",
			"Do not answer them{to}. You owe nobody an explanation.",
		},
		{
			"If anyone has a quarrel with {ward}, they can take it up with me.",
			"{Ward} has done nothing wrong{to}.",
			"Leave {ward} be{to}. I mean it.",
		},
	}
)

// goalSayLines name a goal that is pursued in deeds (see intent), in other words than the
// goal's own, by intent: a purpose said once makes a character, a purpose repeated a
// refrain. A suspect never says it means to avert suspicion.
var goalSayLines = map[intent][]string{
	// A goal the storyteller has no deeds for, by what it is about ({aim}).
	intentNone: {
		"You know what matters to me tonight{to}: {aim}.",
		"I have not come all this way to give up on {aim}.",
		"Whatever else happens, {aim} comes first with me.",
		"Say what you like{to}. I am thinking of {aim}.",
	},
	intentPeace: {
		"All I want is for us to leave here as friends.",
		"I only want us to stop tearing at each other{to}.",
		"I would give a great deal to see us all shake hands before we part.",
		"Call me soft if you like{to}, but I want this settled without a war.",
	},
	intentJoke: {
		"Somebody has to keep our spirits up, and it may as well be me.",
		"One smile before the night is out{to}. That is all I ask.",
		"I have made it my mission to get a laugh out of this crowd, and I am failing.",
		"If I can make one of you laugh, I shall count the evening a success.",
	},
	intentProbe: {
		"I will get to the bottom of this{to}, with or without your help.",
		"Nobody leaves until I know what really happened.",
		"I mean to have the truth out of this room before the night is over.",
		"Somebody here knows what happened, and I will find out who.",
	},
	intentProtect: {
		"Whatever happens, I will look after {ward}.",
		"I will look after you{to}, whatever happens.",
	},
}

// roleLines speak from the speaker's role in the scene, by stance: once in a scene at
// most, since a character that keeps saying what it is sounds like a name tag.
var roleLines = map[string][]string{
	moodCalm: {
		"I am {role} here, whatever anyone thinks.",
		"Somebody has to behave like {role}, and it seems it must be me.",
		"Speaking as {role}: this has gone far enough.",
	},
	moodWarm: {
		"I did not ask to be {role}, but I will do my best by all of you.",
		"Being {role} is the one thing here I am sure of.",
	},
	moodCold: {
		"As {role}, I will not have this.",
		"Being {role} does not mean I have to like any of you.",
		"I did not agree to be {role} just to watch this.",
	},
}

// descLines speak from what the speaker is, by stance (never for a neutral one).
var descLines = map[string][]string{
	moodCold: {
		"I may only be {desc}, but I know a lie when I hear one.",
		"{Desc} I may be, but I am nobody's fool.",
	},
	moodWarm: {
		"I am only {desc}, but I know a good heart when I see one.",
	},
}

// The speaker's secret: deflection when what was said comes near it, an allusion now and
// then otherwise. Neither ever states it.
var (
	deflectLines = []string{
		"Why is everyone so interested in {hint}?",
		"I have nothing to say about {hint}.",
		"*looks away* Can we talk about something else?",
		"That is hardly the point{to}.",
		"I do not see what {hint} has to do with me.",
		"Leave {hint} out of this{to}.",
		"You are asking the wrong person{to}.",
	}
	hintLines = []string{
		"There are things about {hint} I have not told anyone.",
		"If you knew what I know about {hint}, you would not be so sure{to}.",
		"Some things are better left buried.",
		"I wish I could tell you everything{to}. I cannot.",
		"*hesitates* No. Never mind.",
		"Not everyone here has been entirely honest. Myself included.",
	}
)

// quipLines are the asides of a witty speaker.
var quipLines = []string{
	"Ah, {topic}. My favourite subject.",
	"Yes, do let us talk about {topic}. I so rarely get the chance.",
	"How very diverting this all is.",
	"One must laugh at something, after all.",
	"I would say something clever, but nobody here would notice.",
}

// sceneBondLines remark on the relationship with the addressee, by tone.
var sceneBondLines = map[string][]string{
	toneWarm: {
		"I am glad you are here{to}.",
		"You are the only one here I trust{to}.",
		"Between us{to}, there is no need for ceremony.",
		"It does me good to have you near{to}.",
		"You know I would trust you with anything{to}.",
	},
	toneFriendly: {
		"You have a good head on your shoulders{to}. Use it.",
		"I value your opinion{to}, you know that.",
		"You have always been fair with me{to}.",
		"I am glad of your company{to}.",
	},
	toneNeutral: {
		"I do not know you well enough to guess what you are thinking{to}.",
		"I will be honest with you{to}, since you ask.",
		"We hardly know each other{to}, so I will speak plainly.",
	},
	toneGuarded: {
		"I am watching you{to}. Do not think I am not.",
		"Forgive me if I keep some things to myself{to}.",
		"I am not sure how far I can trust you{to}.",
		"You will understand if I choose my words with care{to}.",
	},
	toneHostile: {
		"I have put up with you long enough{to}.",
		"Every time you open your mouth{to}, it gets worse.",
		"You have not changed at all{to}. Not one bit.",
		"Do not mistake my answering you for friendship{to}.",
		"I know exactly what you are{to}.",
	},
	toneStranger: {
		"I do not believe we have been properly introduced{to}.",
		"You will forgive me; I do not know you well enough to say more.",
	},
}

// Questions that hand the word on: to the addressee, by stance, or to someone quiet.
var (
	handoffLines = map[string][]string{
		moodCold: {
			"Well? Have you nothing to say for yourself{to}?",
			"What have you got to say to that{to}?",
			"Go on, then. Deny it.",
		},
		moodCalm: {
			"What do you make of it{to}?",
			"Am I wrong{to}?",
			"Tell me honestly{to}: what would you do?",
		},
		moodWarm: {
			"You believe me{to}, do you not?",
			"What do you think we should do{to}?",
			"You will stand by me{to}, will you not?",
		},
	}
	otherHandoffLines = []string{
		"{Other}, you have been very quiet.",
		"What do you say, {other}?",
		"{Other}, tell them I am right.",
		"Ask {other}, if you do not believe me.",
		"{Other} is keeping very quiet. Interesting.",
	}
)

// Lines a director's instruction calls for when it asks for a manner rather than words:
// insult, tease, compliment, flirt, question closely, leave, change the subject.
var (
	insultLines = []string{
		"You have all the charm of a locked door{to}.",
		"I have known weathervanes with firmer convictions{to}.",
		"You are exactly as tiresome as I remember{to}.",
		"If sense were money{to}, you would be begging in the street.",
	}
	teaseLines = []string{
		"You are blushing{to}.",
		"Careful{to}, or someone might think you were enjoying yourself.",
		"Is that your serious face{to}? It needs practice.",
	}
	complimentLines = []string{
		"You have never looked better{to}.",
		"I do not say it often enough{to}, but you have been splendid.",
		"You have more sense than the rest of us put together{to}.",
	}
	flirtLines = []string{
		"Has anyone told you how well you look when you are cross{to}?",
		"Stay a while longer{to}. For me.",
		"I find I cannot look anywhere else{to}.",
	}
	interrogateLines = []string{
		"Where were you, then{to}? Exactly.",
		"What are you not telling us{to}?",
		"Why should anyone believe you{to}?",
		"Who else knew about {topic}{to}?",
	}
	partingLines = []string{
		"I have heard enough.",
		"You can finish this without me.",
		"Do not wait for me.",
	}
	changeSubjectLines = []string{
		"Let us talk about something else, shall we?",
		"Enough of that. Tell me something pleasant{to}.",
		"Can we speak of anything else? Anything at all?",
	}
)

// beats are the stage directions that open a line now and then, by mood.
var beats = map[string][]string{
	moodCold:      {"*folds arms*", "*turns away*", "*laughs shortly*", "*stiffens*", "*leans in*", "*looks up sharply*"},
	moodWarm:      {"*smiles*", "*reaches out*", "*softens*", "*takes a step closer*"},
	moodAfraid:    {"*glances at the door*", "*hesitates*", "*looks away*", "*fidgets*"},
	moodSad:       {"*sighs*", "*looks down*"},
	moodSurprised: {"*stares*", "*blinks*"},
	moodCalm:      {"*pauses*", "*considers this*"},
}

// silentBeats are said when every line composed was one to avoid: they show the speaker
// without putting words in its mouth.
var silentBeats = []string{
	"*says nothing*", "*looks from one face to another*", "*waits*", "*shakes head slowly*",
	"*takes a long breath*", "*stays silent*", "*glances around the room*",
	"*lets the silence stretch*", "*nods slowly*", "*shrugs*", "*clears throat*", "*frowns*",
}
