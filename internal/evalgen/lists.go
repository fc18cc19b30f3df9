package main

// firstNameSet holds common first names, which mark a two-word name as a
// person's.
var firstNameSet = set(
	"aaron", "adam", "adrian", "alan", "alastair", "alex", "alexander", "alfred", "alice", "alison",
	"amanda", "amy", "andrea", "andrew", "andy", "angela", "ann", "anna", "anne", "anthony", "antonio",
	"arnold", "arthur", "barbara", "barry", "ben", "benjamin", "bernard", "bill", "billy", "bob",
	"brian", "bruce", "carl", "carlos", "caroline", "catherine", "charles", "charlie", "charlotte",
	"chris", "christine", "christopher", "claire", "colin", "craig", "dan", "daniel", "danny", "dave",
	"david", "dean", "deborah", "denis", "dennis", "derek", "diana", "diane", "dominic", "donald",
	"doug", "douglas", "duncan", "ed", "eddie", "edward", "elizabeth", "emily", "emma", "eric", "frank",
	"fred", "gary", "gavin", "geoff", "geoffrey", "george", "gerry", "gordon", "graham", "greg", "harry",
	"helen", "henry", "hugh", "iain", "ian", "jack", "jackie", "jacques", "james", "jamie", "jane",
	"janet", "jason", "jean", "jeff", "jennifer", "jeremy", "jerry", "jim", "jimmy", "jo", "joan",
	"joe", "john", "johnny", "jon", "jonathan", "jose", "joseph", "julia", "julie", "justin", "karen",
	"kate", "keith", "ken", "kenneth", "kevin", "kim", "lee", "linda", "lisa", "liz", "louis", "lucy",
	"luis", "malcolm", "marco", "margaret", "maria", "mark", "martin", "mary", "matt", "matthew",
	"michael", "michel", "michelle", "mick", "mike", "neil", "nick", "nicholas", "nicola", "nigel",
	"oliver", "owen", "pat", "patricia", "patrick", "paul", "paula", "pete", "peter", "phil", "philip",
	"pierre", "ralph", "ray", "richard", "rick", "rob", "robert", "robbie", "roger", "ron", "ronald",
	"rory", "ross", "roy", "ruth", "ryan", "sally", "sam", "samuel", "sandra", "sarah", "scott", "sean",
	"serena", "simon", "sophie", "stephen", "steve", "steven", "stuart", "sue", "susan", "terry",
	"thomas", "tim", "timothy", "tom", "tommy", "tony", "tracy", "trevor", "victoria", "vincent",
	"walter", "wayne", "william", "willie", "yvonne",
)

// places are countries, regions and cities a question may name.
var places = set(
	"afghanistan", "africa", "albania", "algeria", "america", "argentina", "armenia", "asia",
	"australia", "austria", "bangladesh", "belgium", "bolivia", "bosnia", "brazil", "britain",
	"bulgaria", "cambodia", "cameroon", "canada", "chile", "china", "colombia", "croatia", "cuba",
	"cyprus", "denmark", "egypt", "england", "estonia", "ethiopia", "europe", "finland", "france",
	"georgia", "germany", "ghana", "greece", "holland", "hungary", "iceland", "india", "indonesia",
	"iran", "iraq", "ireland", "israel", "italy", "jamaica", "japan", "jordan", "kazakhstan", "kenya",
	"korea", "kuwait", "latvia", "lebanon", "libya", "lithuania", "malaysia", "mexico", "morocco",
	"nepal", "netherlands", "nigeria", "norway", "pakistan", "peru", "philippines", "poland",
	"portugal", "romania", "russia", "scotland", "serbia", "singapore", "slovakia", "slovenia",
	"somalia", "spain", "sudan", "sweden", "switzerland", "syria", "taiwan", "thailand", "turkey",
	"uganda", "ukraine", "uruguay", "venezuela", "vietnam", "wales", "zimbabwe", "london", "paris",
	"berlin", "madrid", "rome", "tokyo", "beijing", "moscow", "new york", "washington", "los angeles",
	"sydney", "dublin", "edinburgh", "glasgow", "cardiff", "belfast", "manchester", "birmingham",
	"liverpool", "leeds", "brussels", "amsterdam", "hong kong", "shanghai", "mumbai", "delhi",
	"california", "texas", "florida", "cornwall", "yorkshire", "kent", "oxford", "cambridge",
	"nairobi", "baghdad", "tehran", "kabul", "istanbul", "athens", "lisbon", "vienna", "prague",
	"warsaw", "budapest", "stockholm", "oslo", "copenhagen", "helsinki", "geneva", "zurich",
	"milan", "barcelona", "munich", "frankfurt", "seoul", "bangkok", "jakarta", "manila", "cairo",
	"lagos", "johannesburg", "cape town", "toronto", "chicago", "boston", "san francisco", "seattle",
	"taipei", "hyderabad", "kolkata", "dubai", "doha", "riyadh", "karachi", "lahore", "wellington",
	"auckland", "melbourne", "perth", "brisbane",
)
