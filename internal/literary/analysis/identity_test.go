package analysis

import (
	"context"
	"strings"
	"testing"
)

// TestIdentity checks general naming conventions on small texts: which
// names are one character, which are two, and what is not a name at all.
func TestIdentity(t *testing.T) {
	cases := []struct {
		name     string
		text     string
		same     [][2]string    // names of one character
		distinct [][2]string    // names of different characters (both reported)
		absent   []string       // names that must not be reported
		unheld   []string       // names no character may hold, even as an alias
		mentions map[string]int // least mentions of the named character
	}{
		{
			name: "saint particle",
			text: `Lord St. Simon called at noon. Holmes rose to greet him, and Lord St. Simon sat down.

“I have lost my bride,” said Lord St. Simon. St. Simon was pale.

Mr. Neville St. Clair lived at Lee. Neville St. Clair went to town every morning. “He is late,” said Mrs. St. Clair. Mrs. St. Clair wept. Mr. St. Clair did not come back, and Holmes sought him.
`,
			same:     [][2]string{{"Lord St. Simon", "St. Simon"}, {"Neville St. Clair", "Mr. St. Clair"}},
			distinct: [][2]string{{"Neville St. Clair", "Mrs. St. Clair"}},
			absent:   []string{"Simon", "Clair", "Neville"},
		},
		{
			name: "names the narrator states are one man",
			text: `M. Laurent came to the town in 1815 and built a factory. M. Laurent grew rich; the poor called him Father Laurent. "Good day, Father Laurent," said the old woman, and Father Laurent smiled.

Paul Garnier had escaped from the galleys. The reader has divined that M. Laurent is no other than Paul Garnier. Paul Garnier was afraid. "I know you," said Inspector Brun to Paul Garnier. Inspector Brun laughed, and Inspector Brun went out.

In 1815, M. Jacques-Marie-Clément Daru was Bishop of Verne. M. Daru had no children. The Bishop of Verne gave his silver away; the Bishop of Verne was poor. "Welcome, my son," said Monseigneur Clément. Clément Daru smiled.

Old Father Robin kept the gate. M. Robin was deaf, and Father Robin sang.
`,
			same: [][2]string{{"M. Laurent", "Father Laurent"}, {"M. Laurent", "Paul Garnier"}, {"M. Daru", "Bishop of Verne"},
				{"M. Daru", "Clément Daru"}, {"M. Daru", "Monseigneur Clément"}, {"M. Robin", "Father Robin"}},
			distinct: [][2]string{{"Paul Garnier", "Inspector Brun"}, {"M. Daru", "M. Robin"}},
		},
		{
			name: "an office held",
			text: `M. Dufour came poor to the town and built a glass-works. The workmen loved M. Dufour. In 1820 Monsieur Dufour became Monsieur le Maire, and Monsieur le Maire was loved as M. Dufour had been.

"Monsieur le Maire, the bridge is down," said the carter.

"Then we shall build it again," said M. Dufour.

Later that year Inspector Brun came to the town. Inspector Brun watched M. Dufour closely, and Inspector Brun said little.
`,
			same:     [][2]string{{"M. Dufour", "Monsieur le Maire"}},
			distinct: [][2]string{{"M. Dufour", "Inspector Brun"}},
		},
		{
			name: "an office said to the man who answers",
			text: `Paul Garnier was the mayor of the town. Paul Garnier was a kind man, and Paul Garnier gave to the poor. Inspector Brun did not like him.

"Mr. Mayor, I must speak to you," said Inspector Brun.

"Speak, then," said Paul Garnier.

"Mr. Mayor, the woman must go to prison," said Inspector Brun.

"She shall not," said Paul Garnier.

"Mr. Mayor, you forget yourself," said Inspector Brun.

"I forget nothing," said Paul Garnier. Inspector Brun bowed and went out.
`,
			same:     [][2]string{{"Paul Garnier", "Mr. Mayor"}},
			distinct: [][2]string{{"Paul Garnier", "Inspector Brun"}},
		},
		{
			name: "a rank is not given to the most named of a family",
			text: `Henri Duval was a student in Paris. Henri Duval read law, and Henri Duval loved Lise. "Henri Duval, you are late," said Lise. Henri Duval laughed.

His father, Georges Duval, had been a soldier. Colonel Duval fought at Waterloo; Colonel Duval was wounded there, and Colonel Duval died poor.
`,
			distinct: [][2]string{{"Henri Duval", "Colonel Duval"}},
		},
		{
			name: "a given name in a later story is its own namesake's",
			text: `James Pelham came to Baker Street in the spring. James Pelham was a clerk. "James," said his mother, "you must go to Mr. Lane." James went, and James Pelham told Mr. Lane his story. James Pelham wept; James Pelham was afraid. Mr. Lane pitied James Pelham, and James Pelham thanked him.

` + strings.Repeat("The rain fell on the town, and the lamps were lit early.\n\n", 30) +
				`In the valley lived James Ormsby, a farmer. James Ormsby said he had quarrelled with his father. "James!" cried Mr. Lane. James answered him, and James was taken to the town. Mr. Lane believed James, and in court Mr. Lane said that James Ormsby was innocent.
`,
			mentions: map[string]int{"James Ormsby": 6},
		},
		{
			name: "a pet form made of a given name",
			text: `Anne Blythe ran down the lane. "Well now, Anne-girl," said Matthew Grey, "you've been crying." Anne Blythe shook her head.

"Anne-girl, I'm proud of you," said Matthew Grey. Anne laughed, and Anne kissed him. "Good night, Anne-girl." Matthew Grey went out.
`,
			same: [][2]string{{"Anne Blythe", "Anne-girl"}},
		},
		{
			name: "plural titles name no one",
			text: `Mr. Cuss the surgeon called at noon. Mr. Cuss was curious, and Mr. Cuss knocked. The Misses Cuss waited at home; the Misses Cuss were anxious, and the Misses Cuss watched the road.

"Good day," said Mr. Cuss. Messrs. Blathers and Duff came later. Messrs. Blathers and Duff were officers. Mr. Blathers said nothing, and Mr. Blathers sat down. "Well?" said Mr. Blathers.
`,
			distinct: [][2]string{{"Mr. Cuss", "Mr. Blathers"}},
			unheld:   []string{"Misses Cuss", "Messrs. Blathers"},
		},
		{
			name: "one and the same by the narrator's word",
			text: `Mr. Grey lived in the old house, and Mr. Grey kept to himself. Mr. Grey walked at night.

John Black had robbed the bank. John Black was never found. The police sought John Black in vain.

At the trial it was proved that John Black and Mr. Grey were one and the same man. The papers printed the identity of Mr. Grey and John Black.
`,
			same: [][2]string{{"Mr. Grey", "John Black"}},
		},
		{
			name: "one who speaks in a story told is not its listener",
			text: `Mr. Hale was the doctor. Mr. Hale sat by the fire with Mr. Duff, the officer.

"Jem Pike," said Mr. Duff, "was the sharpest officer I knew. 'Stop thief!' says Jem Pike, and off he goes."

"And what did he do then?" asked Mr. Hale.

"Jem Pike," said Mr. Duff, "came back empty. 'Come!' said Jem Pike, 'we shall have him yet.'"

"Did you?" asked Mr. Hale.

"Jem Pike," said Mr. Duff, "never caught him."

"A pity," said Mr. Hale. Mr. Hale laughed, and Mr. Duff laughed.
`,
			distinct: [][2]string{{"Jem Pike", "Mr. Hale"}},
		},
		{
			name: "oaths, a title after a name and a nationality are no names",
			text: `"Lor!" said Polly Hart. "Lor, how nice!" Polly Hart laughed. "Oh, Lor!" said Polly Hart again.

The letter was addressed to Josiah Pike Esquire. Josiah Pike read it. "Josiah Pike, Esquire, Banker," said Polly Hart, and Josiah Pike frowned.

Polly Hart studied Canadian history. "The Canadian winter is long," said Josiah Pike. Polly Hart read of the Canadian lakes.
`,
			absent: []string{"Lor", "Esquire", "Canadian"},
		},
		{
			name: "a title after of opens another name",
			text: `Mr. Grimwig sat by the fire. Grimwig laughed. "Well?" asked Grimwig of Mr. Brownlow.

"Well," said Mr. Brownlow to Grimwig, and Grimwig frowned at Mr. Brownlow.
`,
			same:   [][2]string{{"Grimwig", "Mr. Grimwig"}},
			unheld: []string{"Grimwig of Mr"},
		},
		{
			name: "familiar form of a given name",
			text: `The new girl was Cecilia Jupe, the daughter of a clown; her father called her Cecilia Jupe too. Sissy Jupe sat in the corner, and Sissy said nothing.

“Girl number twenty,” said Mr. Gradgrind, “what is your name?” Sissy blushed. Mr. Gradgrind frowned.
`,
			same: [][2]string{{"Cecilia Jupe", "Sissy Jupe"}, {"Sissy", "Cecilia Jupe"}},
		},
		{
			name: "familiar form of a titled given name",
			text: `Lord Henry Wotton lit a cigarette. Lord Henry smiled at Basil, and Lord Henry spoke of Sir Henry Ashton, who had once met Henry Wotton at dinner.

“You are wrong, Harry,” said Basil. Harry laughed. “Harry, you must not,” said Basil.
`,
			same: [][2]string{{"Harry", "Lord Henry"}},
		},
		{
			name: "a name in a recited poem",
			text: "Bill the Lizard came down the chimney in a great hurry, and Bill was\n" +
				"kicked straight out again by Alice, who felt rather sorry for Bill as\n" +
				"he sailed over the garden wall and landed among the cucumber-frames.\n\n" +
				"Alice folded her hands and began to recite:\n\n" +
				"    “You are old, Father William,” the young man said,\n" +
				"      “And your hair has become very white;\n" +
				"    And yet you incessantly stand on your head,\n" +
				"      Do you think, at your age, it is right?”\n\n" +
				"    “In my youth,” Father William replied to his son,\n" +
				"      “I feared it might injure the brain;\n" +
				"    But now that I’m perfectly sure I have none,\n" +
				"      Why, I do it again and again.”\n\n" +
				"The old man, Alice thought, was very tiresome indeed. “Poor Bill,” said\n" +
				"Alice to herself, and she went on looking for Bill among the bushes\n" +
				"until the sun had quite gone down behind the trees of the wood.\n",
			unheld: []string{"Father William"},
		},
		{
			name: "a name the narrator ties to another",
			text: `One morning Noah Claypole left the town with Charlotte. In London he took the name of Morris Bolter. “My name is Bolter,” said Mr. Morris Bolter, late Claypole, with a bow. Then Noah Claypole grinned, and Morris Bolter ate his supper.
`,
			same: [][2]string{{"Noah Claypole", "Morris Bolter"}},
		},
		{
			name: "a family in the plural",
			text: `The Miss Alans were at the pension. Miss Alan was the elder, and the Miss Alans took tea with Lucy. Lucy liked the Miss Alans, and Miss Alan liked Lucy.
`,
			absent: []string{"Miss Alans"},
		},
		{
			name: "a surname title before a given name",
			text: `The young man was Marius Pontmercy, and the old porter knew Marius Pontmercy well. “Good evening, Monsieur Marius,” said the porter. Monsieur Marius bowed, and Marius went up the stairs.
`,
			same: [][2]string{{"Marius Pontmercy", "Monsieur Marius"}, {"Marius", "Monsieur Marius"}},
		},
		{
			name: "a bare given name and a titled namesake",
			text: `Lady Catherine de Bourgh came to call, and Lady Catherine sat in state. Kitty Bennet coughed; Kitty was always coughing. Catherine and Lydia laughed, and Lady Catherine frowned at Catherine.

“Kitty, be quiet,” said Jane.
`,
			same:     [][2]string{{"Kitty", "Catherine"}},
			distinct: [][2]string{{"Kitty", "Lady Catherine"}},
		},
		{
			name: "places, peoples and exclamations",
			text: `Tom spoke of Greece to Lucy, and then of Greece again; Lucy had never seen Greece. The Italians, said Tom, were charming, and Italians sang.

“Well, Hullo!” said Tom. “Oh, Hullo, Hullo,” said Lucy.
`,
			same:   [][2]string{{"Tom", "Tom"}},
			absent: []string{"Greece", "Italians", "Hullo"},
		},
		{
			name: "figures sharing a noun",
			text: `STAVE ONE.

Scrooge sat by the fire when the Ghost of Christmas Past stood beside him. Scrooge looked at the Ghost. “Who are you?” said Scrooge. “I am the Ghost of Christmas Past,” said the Spirit. The Ghost smiled, and the Spirit rose.

STAVE TWO.

In the next room the Ghost of Christmas Present sat on a throne. Scrooge bowed to the Ghost. “Come in,” said the Spirit. The Spirit laughed, and the Ghost of Christmas Present rose.
`,
			distinct: [][2]string{{"Ghost of Christmas Past", "Ghost of Christmas Present"}},
			absent:   []string{"Ghost", "Spirit", "Christmas Past"},
			mentions: map[string]int{"Ghost of Christmas Past": 6, "Ghost of Christmas Present": 5},
		},
		{
			name: "a title used as a name",
			text: `CHAPTER I.

Dr. Lane came to dinner with Dr. Moss. Dr. Lane spoke of his patients, and the Doctor talked for an hour. Ann listened to the Doctor.

CHAPTER II.

Dr. Moss came alone the next day. The Doctor sat down, and Ann gave the Doctor tea. “Thank you,” said Dr. Moss. Ann smiled at the Doctor.
`,
			distinct: [][2]string{{"Dr. Lane", "Dr. Moss"}},
			mentions: map[string]int{"Dr. Lane": 3, "Dr. Moss": 5},
		},
		{
			name: "a title of rank with its domain",
			text: `CHAPTER I.

The Bishop of Digne was a kind old man. The Bishop gave his bread away, and the Bishop walked to town. Once the Bishop of Grasse wrote to him. The Bishop smiled, and the Bishop answered the letter.

CHAPTER II.

Lady Ann dined with the Duchess of Harley. “You are late, Duchess,” said Lady Ann. The Duchess laughed.

CHAPTER III.

The next week the Duchess of Monmouth called. The Duchess sat down. “Tea, Duchess?” asked Lady Ann.
`,
			distinct: [][2]string{{"Duchess of Harley", "Duchess of Monmouth"}, {"Bishop of Digne", "Lady Ann"}},
			absent:   []string{"Duchess", "Bishop", "Harley"},
			mentions: map[string]int{"Bishop of Digne": 5, "Duchess of Harley": 3, "Duchess of Monmouth": 3},
		},
		{
			name: "an institution named after a title",
			text: `Anne was studying for Queen's with Gilbert. Everyone at Queen's worked hard, and the Queen's class met daily. Anne loved Queen's. Diana said Anne would shine at Queen's.

“Long live the Queen!” said Gilbert.
`,
			absent: []string{"Queen"},
		},
		{
			name: "a title that names a person",
			text: `The Queen came into the garden. “Off with his head!” said the Queen. Alice bowed to the Queen, and the Queen's soldiers ran. The Queen smiled at Alice.
`,
			same: [][2]string{{"Queen", "Queen"}},
		},
		{
			name: "an owner's name in a place name",
			text: `Mrs. Rachel Lynde lived where the brook crossed Lynde's Hollow. Her husband Thomas Lynde sowed turnips. Thomas Lynde was a meek man; Mr. Thomas hardly spoke.

Anne ran down to Lynde's Hollow, and from Lynde's Hollow up the hill. “Good morning,” said Mrs. Lynde. Mrs. Lynde stared.
`,
			unheld: []string{"Lynde"},
		},
		{
			name: "a wife named after her husband",
			text: `Mr. Robert Martin farmed at Abbey-Mill. Robert Martin was a plain young man, and Mr. Martin read books. “Good day,” said Mr. Martin. Harriet liked Robert Martin; Mrs. Martin, his mother, liked Harriet. Harriet might one day be Mrs. Robert Martin, and Mr. Martin hoped so.
`,
			same:     [][2]string{{"Robert Martin", "Mr. Martin"}},
			distinct: [][2]string{{"Robert Martin", "Mrs. Martin"}},
		},
		{
			name: "a younger son and the head of the family",
			text: `Mr. Knightley walked in. Mr. John Knightley and Mrs. John Knightley came from London. “Welcome,” said Mr. Knightley. John Knightley bowed; Mrs. John Knightley kissed her father, and Mr. John Knightley sat down. Mr. Knightley smiled at Mrs. John Knightley, and Mr. Knightley poured the wine. John Knightley drank.
`,
			distinct: [][2]string{{"Mr. Knightley", "John Knightley"}, {"John Knightley", "Mrs. John Knightley"}},
		},
		{
			name: "a lisping speaker",
			text: `Cecilia Jupe came into the ring, and Mr. Sleary bowed to Mr. Gradgrind. Cecilia Jupe wept. This is the business of the circus, and soon you will see it.

“Thquire,” said Mr. Sleary, “thith ith a bad buthineth. Thethilia ith a good girl, Thquire.”

“Good-bye, Thethilia! I'll thee you thoon,” said Mr. Sleary. “Farewell, Thethilia, my dear, and thtick to it.”

“Thank you, Thomas,” said Cecilia Jupe. “I thee it now,” said Thomas, and Thomas bowed.
`,
			absent:   []string{"Thquire", "Squire"},
			unheld:   []string{"Thethilia"},
			same:     [][2]string{{"Thomas", "Thomas"}},
			mentions: map[string]int{"Cecilia Jupe": 5},
		},
		{
			name: "a thing named after possessives and articles",
			text: `Lucy opened her Baedeker. “Give me your Baedeker,” said Miss Lavish, and Lucy had no Baedeker after that. Miss Lavish bought a Baedeker. “Baedeker?” said Mr. Emerson. Lucy missed Baedeker, and Baedeker's maps were good. “Thank you,” said Lucy, and Lucy smiled.
`,
			absent: []string{"Baedeker"},
			same:   [][2]string{{"Lucy", "Lucy"}},
		},
		{
			name: "a place looked over",
			text: `Lucy looked over the Weald. The Weald looked blue. Freddy ran down into the Weald; Freddy lived in the Weald. Lucy gazed over the Weald. “Lucy,” said Freddy.
`,
			absent: []string{"Weald"},
		},
		{
			name: "a foreign form of a given name",
			text: `At last Lucy Honeychurch came to Florence, and Lucy Honeychurch liked it. “Lucia, dear Lucia!” cried Miss Lavish. Lucy smiled at Lucia's friend, and Lucia went out.
`,
			same: [][2]string{{"Lucia", "Lucy Honeychurch"}},
		},
		{
			name: "a nickname the narrator ties to a name",
			text: `The boy was Jack Dawkins, and Jack Dawkins knew the town. Later Mr. John Dawkins, otherwise the Artful Dodger, came in. “Here,” said the Artful Dodger. The Artful Dodger grinned, and Oliver followed the Artful Dodger.
`,
			same: [][2]string{{"Jack Dawkins", "Artful Dodger"}},
		},
		{
			name: "a wife's familiar name in her husband's mouth",
			text: `Mr. Hall came in from the bar, and Mrs. Hall sat down by the fire.

“Take a drop more, Janny,” said Hall.

“Lock him out,” said Mrs. Hall.

“Just a drop more, Janny,” said Hall. “Your nerves is all upset.”

“I won't,” said Mrs. Hall. Mrs. Hall wept, and Hall went out.
`,
			same:     [][2]string{{"Janny", "Mrs. Hall"}},
			distinct: [][2]string{{"Mrs. Hall", "Hall"}},
		},
		{
			name: "two familiar forms of one given name",
			text: `Tom Chitling came in, and Mr. Chitling sat down. “Well, Tommy Chitling,” said Fagin, “how is it?” Mr. Chitling laughed. “Hush, Tom,” said Charley. Tom grinned at Charley, and Fagin looked at Tom.

The magistrate asked the boy his name; he said it was Tom White. Tom Chitling laughed at that.
`,
			same:     [][2]string{{"Tom Chitling", "Tommy Chitling"}, {"Tom Chitling", "Mr. Chitling"}, {"Tom", "Tom Chitling"}},
			distinct: [][2]string{{"Tom Chitling", "Charley"}},
		},
		{
			name: "a daughter titled by her formal given name",
			text: `Mr. Gradgrind had a daughter, Loo Gradgrind, and Miss Louisa was fifteen. “Louisa,” said Mr. Gradgrind. Miss Louisa looked up, and Louisa sighed. Miss Gradgrind went out.

At Prince Edward the train stopped; Teddy Phillips got out at Prince Edward, and Mr. Phillips waved.
`,
			same:     [][2]string{{"Miss Louisa", "Loo Gradgrind"}, {"Louisa", "Loo Gradgrind"}},
			distinct: [][2]string{{"Louisa", "Mr. Gradgrind"}, {"Prince Edward", "Teddy Phillips"}},
		},
		{
			name: "a woman who took her husband's name",
			text: `Lydia Bennet laughed at everything, and Miss Lydia was the youngest. “I shall marry Mr. Wickham,” said Lydia Bennet; and so Lydia married Mr. Wickham in London.

Kitty Bennet cried. Kitty Bennet wrote to Kitty Lucas, and Kitty Lucas answered Kitty Bennet.

Soon a letter came, signed Lydia Wickham. “Lydia Wickham is very happy,” it said. Mr. Wickham smiled.

Mrs. Wickham came home with her husband. Kitty Bennet kissed Mrs. Wickham, and Mrs. Wickham laughed.
`,
			same:     [][2]string{{"Lydia Wickham", "Lydia Bennet"}, {"Mrs. Wickham", "Lydia Bennet"}},
			distinct: [][2]string{{"Kitty Lucas", "Kitty Bennet"}, {"Lydia Wickham", "Mr. Wickham"}},
		},
		{
			name: "a title and surname said to one known by a given name",
			text: `Cecil came into the garden. Cecil sat down by Lucy, and Cecil read to her. Mr. Beebe watched Cecil from the path, and Mr. Harris watched Mr. Beebe.

“Do you read much, Mr. Vyse?” said Mr. Beebe.

“Very little,” said Cecil.

“And what is your profession, Mr. Vyse?” said Lucy.

“I have none,” said Cecil.

“Good day, Mr. Harris,” said Lucy.

“Good day,” said Mr. Beebe.
`,
			same:     [][2]string{{"Mr. Vyse", "Cecil"}},
			distinct: [][2]string{{"Mr. Harris", "Mr. Beebe"}, {"Cecil", "Mr. Beebe"}},
		},
		{
			name: "a name the speaker gives as their own",
			text: `The Stranger came into the study. Kemp looked up at the Stranger, and the Stranger sat down by Kemp.

“Who are you?” said Kemp.

“I am Griffin, of University College,” said the Stranger.

“Impossible,” said Kemp.

“I am Griffin,” said the Stranger. “You knew me once.”

Kemp stared at the Stranger. The Stranger laughed.

Next day Kemp wrote to Adye about Griffin. Griffin laughed at them both, and Griffin went away.
`,
			same: [][2]string{{"Griffin", "Stranger"}},
		},
		{
			name: "a name given in reported speech or by another in view",
			text: `The Witness stood before the President. Champmathieu sat in the dock, and the Witness pointed at Champmathieu.

“He told me, ‘I am Champmathieu,’ and laughed,” said the Witness.

“Go on,” said the President.

“He told me, ‘I am Champmathieu,’ again,” said the Witness.

Myriel met Valjean at the door, and Valjean bowed to Myriel.

“My name is Valjean,” said Myriel.

“Welcome,” said Valjean.

“My name is Valjean,” said Myriel.

Valjean wept.
`,
			distinct: [][2]string{{"Champmathieu", "Witness"}, {"Valjean", "Myriel"}},
		},
		{
			name: "a word asked back",
			text: `Kemp sat with the Stranger in the study. Kemp listened.

“I lodged first at Chesilstowe,” said the Stranger.

“Chesilstowe?” said Kemp.

“Yes. I left Chesilstowe at night,” said the Stranger. Kemp nodded to the Stranger.
`,
			absent: []string{"Chesilstowe"},
		},
		{
			name: "a peerage named after a place",
			text: `The Stranger ran from Port Burdock to the downs. Men came out of Port Burdock with guns, and all Burdock was afraid. The Stranger hid near Burdock.

Wicksteed was steward to Lord Burdock. Wicksteed walked by the gate of Lord Burdock, and Wicksteed saw the Stranger.
`,
			unheld: []string{"Burdock"},
		},
		{
			name: "a surname title for the brother most often so called",
			text: `Mr. Thaddeus Sholto received us. “Pray sit down,” said Mr. Thaddeus Sholto. Mr. Thaddeus Sholto smiled, and Mr. Thaddeus Sholto lit his hookah.

“My brother is at home,” said Mr. Sholto. Mr. Sholto led us out, and Mr. Thaddeus walked ahead. “Quick,” said Mr. Thaddeus.

Mr. Bartholomew Sholto lay dead. Bartholomew Sholto had been rich, and Bartholomew Sholto had hidden the treasure.
`,
			same:     [][2]string{{"Mr. Sholto", "Thaddeus Sholto"}, {"Mr. Thaddeus", "Thaddeus Sholto"}},
			distinct: [][2]string{{"Mr. Sholto", "Bartholomew Sholto"}},
		},
		{
			name: "a widow the narration says a man married",
			text: `Mrs. Corney kept the workhouse. Mr. Bumble drank tea with Mrs. Corney, and Mrs. Corney smiled at Mr. Bumble.

Mrs. Maylie sat with Rose. Rose laughed, and Rose sang. Mrs. Maylie loved Rose, and Mr. Maylie came home to Rose.

Mr. Bumble had married Mrs. Corney, and was master of the workhouse. Mr. Maylie married Rose.

“Bumble!” cried Mrs. Bumble. Mrs. Bumble scolded Mr. Bumble, and Mrs. Bumble ruled the house. Mrs. Maylie wept for joy.
`,
			same:     [][2]string{{"Mrs. Bumble", "Mrs. Corney"}},
			distinct: [][2]string{{"Mrs. Maylie", "Rose"}, {"Mrs. Bumble", "Mr. Bumble"}},
		},
		{
			name: "a surname alone for the son of a titled father",
			text: `Old Mr. Grove sat in the sun, and his son Walter Grove read beside him. Mr. Grove dozed. Young Mr. Grove closed his book, and old Mr. Grove woke.

“Grove, come and row,” called Tim Hale. Grove laughed and went with Tim Hale. “You row badly, Grove,” said Tim Hale. Mr. Grove watched them from the bank, and Walter Grove waved to Mr. Grove.
`,
			same:     [][2]string{{"Grove", "Walter Grove"}},
			distinct: [][2]string{{"Mr. Grove", "Walter Grove"}},
		},
		{
			name: "a title and surname said to one known by a given name, among women's turns",
			text: `Cecil came into the garden. Cecil sat down by Lucy, and Cecil read to her. Mr. Beebe watched Cecil from the path.

“The roses are out,” said Lucy.

“Do you like roses, Mr. Vyse?” said Mr. Beebe.

“Very little,” said Cecil.

“The lilies are out too,” said Lucy.

“And lilies, Mr. Vyse?” said Mr. Beebe.

“Even less,” said Cecil.
`,
			same:     [][2]string{{"Mr. Vyse", "Cecil"}},
			distinct: [][2]string{{"Cecil", "Lucy"}, {"Cecil", "Mr. Beebe"}},
		},
		{
			name: "a full name said to one known by a single name",
			text: `Blackwood stood by the window, and he did not turn. Blackwood was tired; he had walked all night. Mr. Hale came in and looked hard at Blackwood.

“You know me, Henry Talbot,” said Mr. Hale.

“I know no such man,” said Blackwood.

“You cannot hide from me, Henry Talbot,” said Mr. Hale.

“I hide nothing,” said Blackwood.

“Your father would weep, Henry Talbot,” said Mr. Hale.

“Leave my father out of it,” said Blackwood.

Blackwood turned away, and he smiled. Mr. Hale left him.
`,
			same:     [][2]string{{"Henry Talbot", "Blackwood"}},
			distinct: [][2]string{{"Blackwood", "Mr. Hale"}},
		},
		{
			name: "a familiar given name beside a namesake",
			text: `Jack Brand ran down the lane. The constable wrote down John Brand in his book, and John Brand grinned at him. Jack Brand was quick, and Jack Brand was gone.

“Look sharp, Jack!” said Charley. “You will meet Jack Frost tonight.” Jack laughed, and Charley laughed too.
`,
			same: [][2]string{{"Jack", "Jack Brand"}},
		},
		{
			name: "a son's familiar given name beside his father's",
			text: `Thomas Grind kept a school. Thomas Grind was hard, and his old friend called him Tom Grind; Tom Grind did not smile. Tom sat in the corner, and Tom yawned.

“Tom Thumb is a fairy tale,” said Thomas Grind. Tom sulked. Tom went out, and Thomas Grind frowned.
`,
			distinct: [][2]string{{"Tom", "Thomas Grind"}},
		},
		{
			name: "a pen name said to be one",
			text: `Mary Walker wrote novels at the inn. Kate Hale read one of them in the garden, and Tom laughed at Kate Hale. Mary Walker was out walking.

“Who wrote this book?” said Tom.

“It is by Silas Mortimer. Silas Mortimer says the hero is a bore,” said Kate Hale.

“By Silas Mortimer indeed! Why, it is Mary Walker! She publishes under another name,” said Tom.

Kate Hale put the book down, and Mary Walker came in from her walk.
`,
			same:     [][2]string{{"Silas Mortimer", "Mary Walker"}},
			distinct: [][2]string{{"Mary Walker", "Kate Hale"}},
		},
		{
			name: "a name someone lives under that is another's",
			text: `Walter Grey kept the garden of the convent. Walter Grey sat in the sun, and Walter Grey laughed.

Henry Black came to the convent at night, and Henry Black worked beside Walter Grey.

“Henry Black lives here under the name of Walter Grey, his brother,” said the abbess.
`,
			distinct: [][2]string{{"Walter Grey", "Henry Black"}},
		},
		{
			name: "a maiden name dropped as the wife comes in",
			text: `Miss Lark lived at Bath. Miss Lark was rich, and Emma Dale envied Miss Lark.

“Mr. Finch is to be married,” said Emma Dale. “He is going to be married to a Miss Lark.”

Miss Lark came in the spring. Mr. Finch met Miss Lark at the coach.

Mrs. Finch was first seen at church. Mrs. Finch wore white, and Miss Lark was forgotten.

Mrs. Finch talked of her sister. Emma Dale disliked Mrs. Finch. Mrs. Finch laughed.

“Mrs. Finch is a vain woman,” said Emma Dale. Mrs. Finch smiled at Mr. Finch.

Emma Dale went home, and Mr. Finch went home.
`,
			same:     [][2]string{{"Miss Lark", "Mrs. Finch"}},
			distinct: [][2]string{{"Mrs. Finch", "Emma Dale"}, {"Mrs. Finch", "Mr. Finch"}},
		},
		{
			name: "a made-up familiar form said to someone",
			text: `Grimsby sat by the fire. Grimsby counted his coins, and Grimsby smiled.

“How are you, Grimmy?” said Toby, coming in. Toby sat down by the fire.

“Well enough,” said the old man.

“See here, Grimmy,” said Toby. “The job is done.”

Toby went out, and Grimsby locked the door.
`,
			same: [][2]string{{"Grimmy", "Grimsby"}},
		},
		{
			name: "a familiar form said beside the name it plays on",
			text: `Grimsby sat by the fire. Grimsby counted his coins, and Grimsby smiled.

“Come here, Grimmy,” said Toby to the boy. “Grimsby wants you.”

“Yes, Grimmy, he does,” said Toby. “Grimsby is waiting.”

Toby went out, and Grimsby locked the door.
`,
			distinct: [][2]string{{"Grimmy", "Grimsby"}},
		},
		{
			name: "a wife answering to the name her husband calls her by",
			text: `Harry Dodd ran off to London with Polly. Polly carried the bundle, and Polly grumbled all the way.

At the inn sat Mr. Harry Pike, late Dodd, with his supper. Mr. Pike ate well, and Mr. Pike drank.

“Do you hear the gentleman, Polly?” cried Mr. Pike.

“Yes, Harry, dear!” replied Mrs. Pike.

“Mrs. Pike is tired,” said Mr. Pike. Polly yawned.
`,
			same:     [][2]string{{"Mrs. Pike", "Polly"}},
			distinct: [][2]string{{"Polly", "Mr. Pike"}},
		},
		{
			name: "a mother answering for the daughter her husband calls",
			text: `Kitty sat by the fire. Kitty sewed, and Kitty sang. Kitty laughed at the cat, and Mrs. Grant scolded Kitty. Mr. Grant read his paper.

“Be quiet, Kitty,” said Mr. Grant.

“She is quiet enough,” replied Mrs. Grant.
`,
			distinct: [][2]string{{"Kitty", "Mrs. Grant"}},
		},
		{
			name: "a maiden name restated with that was",
			text: `Miss Lane had kept house for the Fords for years. Miss Lane married, and Emma Ford missed Miss Lane.

Mrs. Ward came to dine. Mrs. Ward laughed, and Emma Ford kissed Mrs. Ward. “Mr. Ford and Mrs. Ward (poor Miss Lane that was) both agree,” said Emma Ford. Mrs. Ward smiled.
`,
			same: [][2]string{{"Miss Lane", "Mrs. Ward"}},
		},
		{
			name: "a surname said to a girl who bears it",
			text: `Sissy Rook was the daughter of Signor Rook, the clown. Signor Rook had gone away. Sissy Rook sat in the school.

“Rook,” said Mr. Grind, “stand up.” Sissy Rook stood up, trembling.

“Rook, what is a horse?” said Mr. Grind. Sissy Rook could not answer.

“Sit down, Rook,” said Mr. Grind. Sissy Rook sat down, and Mr. Grind frowned at Sissy Rook.

Mr. Grind went out. Sissy cried.
`,
			same:     [][2]string{{"Rook", "Sissy Rook"}},
			distinct: [][2]string{{"Sissy Rook", "Signor Rook"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), tc.text, Options{MinMentions: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.same {
				a, b := findChar(res, p[0]), findChar(res, p[1])
				if a == nil || a != b {
					t.Errorf("%q and %q are not one character: %+v", p[0], p[1], res.Characters)
				}
			}
			for _, p := range tc.distinct {
				a, b := findChar(res, p[0]), findChar(res, p[1])
				if a == nil || b == nil || a == b {
					t.Errorf("%q and %q are not two characters: %+v", p[0], p[1], res.Characters)
				}
			}
			for n, least := range tc.mentions {
				if c := findChar(res, n); c == nil || c.Mentions < least {
					t.Errorf("%q has fewer than %d mentions: %+v", n, least, c)
				}
			}
			for _, n := range tc.unheld {
				if c := findChar(res, n); c != nil {
					t.Errorf("%q is held by %q", n, c.Name)
				}
			}
			for _, n := range tc.absent {
				if c := findChar(res, n); c != nil && c.Name == n {
					t.Errorf("%q is reported as a character", n)
				}
			}
		})
	}
}

// TestCharactersByMentions checks the documented order of Result.Characters:
// most mentioned first, IDs in that order.
func TestCharactersByMentions(t *testing.T) {
	for _, name := range []string{"room_with_a_view", "sherlock_holmes", "christmas_carol"} {
		res, err := Analyze(context.Background(), loadNovel(t, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(res.Characters); i++ {
			p, c := res.Characters[i-1], res.Characters[i]
			if c.ID != i || c.Mentions > p.Mentions {
				t.Errorf("%s: character %d %q (%d mentions, id %d) after %q (%d mentions)", name, i, c.Name, c.Mentions, c.ID, p.Name, p.Mentions)
			}
		}
	}
}

// TestGender checks where a character's gender comes from: the pronouns
// that follow the name, a gendered title, else a common given name.
func TestGender(t *testing.T) {
	cases := []struct{ text, name, want string }{
		{`Quilp came into the room. He sat down by the fire. Later Quilp took off his hat, and Quilp warmed his hands. Then Quilp rose and he left.`, "Quilp", "male"},
		{`Tarrant came into the room. She sat down by the fire. Later Tarrant took off her hat, and Tarrant warmed her hands. Then Tarrant rose and she left.`, "Tarrant", "female"},
		{`Lucy and Cecil walked to the church. Lucy laughed at Cecil, and Cecil answered her.`, "Cecil", "male"},
		{`Stephen and Rachael walked home. Stephen spoke to Rachael, and Rachael answered him.`, "Rachael", "female"},
		{`Ruby and Tom walked to the school. Ruby laughed at Tom, and Tom answered Ruby.`, "Ruby", "female"},
	}
	for _, tc := range cases {
		res, err := Analyze(context.Background(), tc.text, Options{MinMentions: 2})
		if err != nil {
			t.Fatal(err)
		}
		if c := findChar(res, tc.name); c == nil || c.Gender != tc.want {
			t.Errorf("%s: gender of %+v, want %s", tc.name, c, tc.want)
		}
	}
}

// TestCanonicalName: the name a character is shown by.
func TestCanonicalName(t *testing.T) {
	mk := func(key, hon string, count int) *form {
		words := strings.Fields(key)
		if hon != "" {
			words = words[1:]
		}
		lws := make([]string, len(words))
		for i, w := range words {
			lws[i] = strings.ToLower(w)
		}
		return &form{key: key, hon: hon, words: words, lws: lws, count: count}
	}
	for _, tc := range []struct {
		name  string
		forms []*form
		want  string
	}{
		{"a full name seen twice", []*form{mk("Mr. Darcy", "mr", 40), mk("Fitzwilliam Darcy", "", 3)}, "Fitzwilliam Darcy"},
		{"the most frequent", []*form{mk("Mr. Darcy", "mr", 40), mk("Darcy", "", 5)}, "Mr. Darcy"},
		// What his nephew calls him is not his name: "Lord Fermor", not "Uncle George".
		{"rank before kinship", []*form{mk("Uncle George", "uncle", 8), mk("Lord Fermor", "lord", 4)}, "Lord Fermor"},
		{"kinship when nothing else", []*form{mk("Uncle George", "uncle", 8), mk("George", "", 1)}, "Uncle George"},
	} {
		if got, _ := canonicalName(&entity{forms: tc.forms}); got != tc.want {
			t.Errorf("%s: canonicalName = %q, want %q", tc.name, got, tc.want)
		}
	}
}
