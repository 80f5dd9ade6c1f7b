using System.CommandLine;
using LlmServe.AllInOne.Generate;

// Each subcommand lives in its own folder and builds its own Command.
var root = new RootCommand("llmserve all-in-one host");
root.Subcommands.Add(GenerateCommand.Create());
return root.Parse(args).Invoke();
