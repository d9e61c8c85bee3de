// One preset per task shape of SiameseUniNLU (docs/web.md). Every task is span extraction driven by
// the schema; classification-like tasks put the candidate labels in the text before "|".
// Schemas are kept as JSON *strings*: the page sends them verbatim, so key order (which decides the
// order of the results) survives even for keys that JavaScript objects would reorder ("2020", "1").
"use strict";

window.UNINLU_PRESETS = [
  {
    id: "ner",
    label: "命名实体识别 · NER",
    text: "1944年毕业于北大的名古屋铁道会长谷口清太郎等人在日本积极筹资，共筹款2.7亿日元，参加捐款的日本企业有69家。",
    schema: '{"人物": null, "地理位置": null, "组织机构": null}',
    note: "每个键是一种实体类型。Each key is an entity type; every mention is one result chain.",
  },
  {
    id: "relation",
    label: "关系抽取 · Relation extraction",
    text: "2022年2月8日，在北京冬奥会自由式滑雪女子大跳台决赛中，中国选手谷爱凌以188.25分获得金牌！",
    schema:
      '{"人物": {"比赛项目(赛事名称)": null, "参赛地点(城市)": null, "获奖时间(时间)": null, "选手国籍(国籍)": null}}',
    note: "主体 → 关系(客体类型)。The subject type is the top key; each nested key is a relation, its object type in parentheses.",
  },
  {
    id: "event",
    label: "事件抽取 · Event extraction",
    text: "7月28日，天津泰达在德比战中以0-1负于天津天海。",
    schema: '{"胜负(事件触发词)": {"时间": null, "败者": null, "胜者": null, "赛事名称": null}}',
    note: "顶层键找事件触发词，嵌套键是论元角色。The top key finds the event trigger; nested keys are its argument roles.",
  },
  {
    id: "absa",
    label: "属性情感抽取 · Aspect sentiment",
    text: "#很满意，音质很好，发货速度快，值得信赖",
    schema: '{"属性词": {"情感词": null}}',
    note: "文本开头的 # 允许属性词缺省（“很满意”没有属性词时对应到 #）。A leading # in the text lets the aspect be absent: an opinion without an aspect attaches to the #.",
  },
  {
    id: "sentiment",
    label: "情感分类 · Sentiment classification",
    text: "正向,负向|有点看不下去了，看作者介绍就觉得挺矫情的",
    schema: '{"情感分类": null}',
    note: "候选标签写在 | 之前，模型把标签当作片段抽出。Candidate labels go before |; the model extracts the chosen label as a span.",
  },
  {
    id: "topic",
    label: "文本分类 · Topic classification",
    text: "民生,文化,娱乐,体育,财经,房产,汽车,教育,科技,军事,旅游,国际,股票,农业,游戏|中国女排在世界杯上以十一连胜的战绩卫冕冠军",
    schema: '{"分类": null}',
    note: "<标签1,标签2,...>|<文本>. Labels before |, the text after it.",
  },
  {
    id: "matching",
    label: "文本匹配 · Text matching",
    text: "相似,不相似|怎么更换绑定的手机号&如何修改账号绑定的手机号码",
    schema: '{"文本匹配": null}',
    note: "<标签>|<文本A>&<文本B>. The two texts are joined by &.",
  },
  {
    id: "nli",
    label: "自然语言推理 · NLI",
    text: "蕴含,矛盾,中立|段落1：一个男人正在公园的长椅上弹吉他；段落2：有人在户外演奏乐器",
    schema: '{"自然语言推理": null}',
    note: "<蕴含,矛盾,中立>|段落1：<前提>；段落2：<假设>. Premise and hypothesis as 段落1/段落2.",
  },
  {
    id: "mrc",
    label: "阅读理解 · Reading comprehension",
    text: "2022年2月8日，谷爱凌在北京冬奥会自由式滑雪女子大跳台决赛中以188.25分夺冠，这是她的第一枚冬奥会金牌。",
    schema: '{"谷爱凌在哪个项目中夺冠？": null}',
    note: "问题写作 schema 的键，文本是篇章。The question is the schema key; the answer is a span of the passage.",
  },
  {
    id: "mrc-choice",
    label: "多项选择阅读理解 · Multiple choice",
    text: "金牌,银牌,铜牌|2022年2月8日，谷爱凌在北京冬奥会自由式滑雪女子大跳台决赛中以188.25分夺冠。",
    schema: '{"谷爱凌获得了什么奖牌？": null}',
    note: "<选项1,选项2,...>|<篇章>, the question as the schema key; the chosen option is extracted.",
  },
];
